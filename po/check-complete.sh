#!/bin/sh
# Checks that every translation in LINGUAS is complete: a template is made afresh from the
# sources in POTFILES.in, each catalogue must define every one of its messages as it stands,
# and merged with it, msgfmt --check --statistics must report neither untranslated nor fuzzy
# messages. Also checks that every app source with translatable strings is listed. Usage: check-complete.sh SOURCE_ROOT BUILD_DIR
set -eu
src=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$src"
fail=0
grep -v '^#' po/POTFILES.in | grep -v '^ *$' > "$tmp/files"
for f in gui/*.c core/plot/*.c core/study/*.c; do
  if grep -q '_("' "$f" && ! grep -qx "$f" "$tmp/files"; then
    echo "po/POTFILES.in misses $f"
    fail=1
  fi
done
xgettext --from-code=UTF-8 --add-comments=TRANSLATORS --keyword=_ --keyword=N_ \
  --keyword=C_:1c,2 --keyword=NC_:1c,2 --keyword=g_dngettext:2,3 --keyword=ngettext:1,2 \
  --files-from="$tmp/files" --output="$tmp/memscope.pot"
total=$(grep -c '^msgid ' "$tmp/memscope.pot")
for lang in $(grep -v '^#' po/LINGUAS); do
  # The catalogue as shipped (what the .mo is built from) must translate every message of
  # the template: a message left obsolete in it would be revived by the merge below.
  if ! LC_ALL=C msgcmp "po/$lang.po" "$tmp/memscope.pot" 2>"$tmp/msgcmp"; then
    echo "$lang: po/$lang.po lacks messages of the sources:"
    grep 'used but not defined' "$tmp/msgcmp" | head -5
    fail=1
  fi
  msgmerge --quiet --no-fuzzy-matching "po/$lang.po" "$tmp/memscope.pot" -o "$tmp/$lang.po"
  stats=$(LC_ALL=C msgfmt --check --statistics -o /dev/null "$tmp/$lang.po" 2>&1) || fail=1
  echo "$lang: $stats (template: $total messages)"
  case "$stats" in
    *untranslated*|*fuzzy*) fail=1 ;;
  esac
  if LC_ALL=C msgattrib --only-obsolete "$tmp/$lang.po" 2>/dev/null | grep -q '^#~ msgid'; then
    echo "$lang: obsolete messages (strings no longer in the sources):"
    LC_ALL=C msgattrib --only-obsolete "$tmp/$lang.po" | grep '^#~ msgid' | head -5
  fi
done
exit $fail
