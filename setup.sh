#!/bin/sh
# Sets memscope up on Debian 12: installs the Debian packages it needs (only those missing,
# through apt-get, as root or with sudo), then configures and builds it in ./build.
# Safe to run again: it only does what is left to do.
set -eu
cd "$(dirname "$0")"

PACKAGES="
  build-essential meson ninja-build pkg-config git
  ocl-icd-opencl-dev opencl-c-headers ocl-icd-libopencl1 pocl-opencl-icd clinfo
  libclblast-dev libopenblas-dev
  libglib2.0-dev libjson-glib-dev libsqlite3-dev zlib1g-dev
  libcairo2-dev libpango1.0-dev libgtk-4-dev libadwaita-1-dev gettext desktop-file-utils
  xvfb xauth fonts-noto-cjk fonts-dejavu-core locales
  python3 python3-numpy python3-torch
  oclgrind clang libclang-rt-14-dev
  openmpi-bin libopenmpi-dev
"

missing=""
for p in $PACKAGES; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done
if [ -n "$missing" ]; then
  echo "setup: installing$missing"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
fi

# The Chinese locale, so the app can be tested and used in Simplified Chinese.
if ! locale -a 2>/dev/null | grep -qi '^zh_CN.utf8$'; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO sed -i 's/^# *\(zh_CN.UTF-8\)/\1/; s/^# *\(en_US.UTF-8\)/\1/' /etc/locale.gen 2>/dev/null || true
  $SUDO locale-gen >/dev/null 2>&1 || true
fi

[ -f build/build.ninja ] || meson setup build --buildtype=release
meson compile -C build
