#!/usr/bin/env bash
# The PHY and MAC demos (the main job before the concentrator): the coding-chain demo, a modem loopback
# through noise: three PSDUs -> plc-modem tx (one frame each, all four modes) ->
# plc-modem channel (gain -40 dB, DC offset, white noise at 12 dB in-band SNR) ->
# plc-modem rx, which prints one JSON line per frame found.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh release >/dev/null
echo "== coding chain: encode, damage on purpose, decode =="
build/tools/plc-codec-demo "$@"
echo
echo "== modem loopback through noise =="
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '68 AA AA AA AA AA AA 68 11 04 33 33 34 33 B3 16: read meter energy' > "$work/read.bin"
printf 'concentrator to meter 000012345678: time sync 2026-11-21 12:00:00' > "$work/sync.bin"
head -c 200 /dev/zero | tr '\0' 'x' > "$work/bulk.bin"
m=build/tools/plc-modem
for mode in robo dbpsk dqpsk d8psk; do
  "$m" tx --mode "$mode" --in "$work/read.bin" --in "$work/sync.bin" --out "$work/$mode.f32" 2>/dev/null
done
"$m" tx --mode d8psk --in "$work/bulk.bin" --out "$work/bulk.f32" 2>/dev/null
cat "$work"/robo.f32 "$work"/dbpsk.f32 "$work"/dqpsk.f32 "$work"/d8psk.f32 "$work"/bulk.f32 > "$work/all.f32"
"$m" channel --in "$work/all.f32" --out "$work/line.f32" --snr 12 --gain 0.01 --dc 0.002 --seed 7
"$m" rx --in "$work/line.f32" | cut -c1-160
echo
echo "== single-hop meter reading: concentrator + 20 DL/T 645 meters, waveform PHY, MAC =="
build/tools/plc-read-demo --meters 20 --phy waveform
