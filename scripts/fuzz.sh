#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) and runs each for a while.
#   scripts/fuzz.sh [seconds per target]   (default 60; CI runs it from scripts/test.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
out=build-fuzz
mkdir -p "$out/corpus_dlt645"
flags=(-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -Imeter)
clang "${flags[@]}" fuzz/fuzz_dlt645.c meter/plc_dlt645.c -o "$out/fuzz_dlt645"
# seeds: the public example frames
i=0
while read -r line; do
  [ -n "$line" ] || continue
  printf '%b' "$(echo "$line" | sed 's/../\\x&/g')" > "$out/corpus_dlt645/seed$i"
  i=$((i + 1))
done < fuzz/dlt645_seeds.txt
"$out/fuzz_dlt645" -max_total_time="$secs" -max_len=600 -print_final_stats=1 \
  "$out/corpus_dlt645" 2>&1 | tail -n 12
