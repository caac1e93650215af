#!/bin/sh
# plc-node over file ports: node 1 sends three secured broadcasts into a sample file, node 2
# hears the file and prints each MSDU; the bytes, the counts and a wrong key are checked.
set -eu
NODE="$1"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
key=000102030405060708090a0b0c0d0e0f
"$NODE" --addr 1 --out "$dir/line.f32" --send 0xFFFF --count 3 --len 24 --interval 0.5 \
    --key "$key" --duration 4 > "$dir/tx.txt"
grep -q '"sent":3,"confirmed":3,"ok":3' "$dir/tx.txt" || { cat "$dir/tx.txt"; exit 1; }
"$NODE" --addr 2 --in "$dir/line.f32" --key "$key" > "$dir/rx.txt"
n=$(grep -c '^rx src=1 dst=0xFFFF len=24 .*secured=1 ' "$dir/rx.txt" || true)
[ "$n" = 3 ] || { echo "expected 3 secured MSDUs, got $n"; cat "$dir/rx.txt"; exit 1; }
# MSDU k carries bytes k, k+1, ...: the second one starts 01 02 03
grep -q 'data=0102030405060708090a0b0c0d0e0f1011121314151617[0-9a-f]*$' "$dir/rx.txt" ||
    { echo "payload bytes differ"; cat "$dir/rx.txt"; exit 1; }
grep -q '"rx_msdu":3,' "$dir/rx.txt" || { cat "$dir/rx.txt"; exit 1; }
# another key: every frame fails its MIC, nothing is delivered, the failures are counted
"$NODE" --addr 2 --in "$dir/line.f32" --key ffffffffffffffffffffffffffffffff > "$dir/bad.txt"
grep -q '"rx_msdu":0,.*"decryption_errors":3,' "$dir/bad.txt" || { cat "$dir/bad.txt"; exit 1; }
# refusals are errors with a message
if "$NODE" --addr 70000 --out "$dir/x.f32" 2> "$dir/err.txt"; then exit 1; fi
grep -q 'short address' "$dir/err.txt"
echo "plc-node: file port exchange ok"
