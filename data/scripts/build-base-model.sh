#!/bin/sh
# Rebuilds the shipped tokenizer (data/tokenizer) and base model (data/base) from the general
# corpus: trains an 8192-token byte-level BPE on it and pretrains a 5.3M-parameter GPT-2
# (L=4, NH=4, C=256, maxT=256) with `memscope pretrain`. About an hour on 2 CPU cores.
#   data/scripts/build-base-model.sh [WORKDIR]
# Needs the corpus (data/scripts/rebuild-data.sh --corpus-only) and a build (./setup.sh).
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
work=${1:-${XDG_CACHE_HOME:-$HOME/.cache}/memscope/base-run}
corpus=$root/data/corpus/general.txt
[ -f "$corpus" ] || "$root/data/scripts/rebuild-data.sh" --corpus-only
"$root/build/cli/memscope" pretrain --out-dir "$work" --resume \
  --vocab-size 8192 --model random:L=4,NH=4,C=256,maxT=256,V=8192 \
  -B 16 -T 256 --steps 1500 --lr 1e-3 --schedule cosine --warmup 100 --min-lr-frac 0.1 \
  --weight-decay 0.1 --grad-clip 1.0 --eval-every 100 --save-every 100 --seed 1 \
  "$corpus"
mkdir -p "$root/data/tokenizer" "$root/data/base"
cp "$work/tokenizer/encoder.json" "$work/tokenizer/vocab.bpe" "$root/data/tokenizer/"
cp "$work/model.bin" "$root/data/base/model.bin"
cp "$work/log.jsonl" "$root/data/base/pretrain-log.jsonl"
cp "$work/loss.png" "$work/loss.svg" "$root/data/base/"
echo "base model: $root/data/base/model.bin"
