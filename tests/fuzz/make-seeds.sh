#!/bin/sh
# Rebuilds the seed corpora of tests/fuzz/corpus/FORMAT from the project's own fixtures and
# data (run from the source root after a build: tests/fuzz/make-seeds.sh [BUILD_DIR]). Inputs
# that once crashed a loader live beside the seeds as crash-*; this script leaves them alone.
set -eu
build=${1:-build}
c=tests/fuzz/corpus
memscope=$build/cli/memscope
mkdir -p $c/llmc $c/safetensors $c/tokenizer $c/shard $c/jsonl $c/spec $c/store
rm -f $c/*/seed-*

cp tests/fixtures/checkpoint/llmc-fp32.bin $c/llmc/seed-fp32
cp tests/fixtures/checkpoint/llmc-bf16.bin $c/llmc/seed-bf16
for d in tests/fixtures/checkpoint/hf-*; do
  { cat $d/config.json; printf '\0'; cat $d/*.safetensors; } > $c/safetensors/seed-${d##*/hf-}
done

# A small tokenizer trained on one task file, so inputs stay a few KB.
tok=$(mktemp -d)
trap 'rm -rf "$tok"' EXIT
head -c 20000 data/tasks/qa.train.jsonl > $tok/text
$memscope tokenize --train --vocab-size 300 --out $tok/small $tok/text 2>/dev/null
{ cat $tok/small/encoder.json; printf '\0'; cat $tok/small/vocab.bpe; } > $c/tokenizer/seed-300

cp tests/fixtures/model/tiny-tokens.bin $c/shard/seed-tiny
printf 'hello\nworld\n' | $memscope tokenize --shard $tok/small.bin
cp $tok/small.bin $c/shard/seed-small

head -n 4 data/tasks/qa.train.jsonl > $c/jsonl/seed-qa
head -n 2 data/tasks/topic.train.jsonl > $c/jsonl/seed-other-task
printf '\xef\xbb\xbf{"task":"qa","input":"a","output":"b","id":"1"}\r\n\r\n' > $c/jsonl/seed-bom-crlf

for f in data/studies/*.ini; do
  b=${f##*/}
  cp $f $c/spec/seed-${b%.ini}
done

$build/tests/fuzz/make-store-seed $c/store/seed-fixture
ls -l $c/*/ | awk '{s += $5} END {print "seeds: " s " bytes"}'
