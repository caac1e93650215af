#!/usr/bin/env bash
# plc-modem end to end: tx in every format, channel, rx JSON lines; bad input exits non-zero.
set -u
m="$1"
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
# n pseudo-random bytes from a seed (1..255, so no byte is lost to a NUL): the same every run
rand_bytes() {
  LC_ALL=C awk -v n="$1" -v x="$2" 'BEGIN { for (i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2147483648; printf "%c", 1 + int(x / 65536) % 255 } }'
}
printf 'meter 000012345678 reading' > "$w/a.bin"
rand_bytes 120 1 > "$w/b.bin"
for fmt in f32 s16 wav; do
  "$m" tx --mode dqpsk --tonemap 0x3f --gap-ms 5 --format "$fmt" --in "$w/a.bin" --in "$w/b.bin" --out "$w/f.$fmt" 2>/dev/null || fail "tx $fmt"
  "$m" channel --format "$fmt" --in "$w/f.$fmt" --out "$w/n.$fmt" --snr 15 --seed 3 || fail "channel $fmt"
  out=$("$m" rx --format "$fmt" --in "$w/n.$fmt" 2>/dev/null) || fail "rx $fmt"
  [ "$(echo "$out" | grep -c '"rs_ok":true')" = 2 ] || fail "rx $fmt: expected 2 good frames, got: $out"
  hex=$(od -An -tx1 -v "$w/a.bin" | tr -d ' \n')
  echo "$out" | head -1 | grep -q "\"payload\":\"$hex" || fail "rx $fmt: payload of frame 1 differs"
done
# impulsive noise: lost without the defence, decoded with --blanking
"$m" tx --mode dbpsk --in "$w/a.bin" --in "$w/b.bin" --out "$w/i.f32" 2>/dev/null || fail "tx dbpsk"
"$m" channel --in "$w/i.f32" --out "$w/ni.f32" --snr -8 --class-a --seed 4 || fail "channel --class-a"
out=$("$m" rx --in "$w/ni.f32" 2>/dev/null) || fail "rx class A"
[ "$(echo "$out" | grep -c '"rs_ok":true')" = 0 ] || fail "class A at -8 dB decoded without the defence"
out=$("$m" rx --blanking --in "$w/ni.f32" 2>/dev/null) || fail "rx --blanking"
[ "$(echo "$out" | grep -c '"rs_ok":true')" = 2 ] || fail "rx --blanking: expected 2 good frames, got: $out"
"$m" tx --mode qam --in "$w/a.bin" --out "$w/x" 2>/dev/null && fail "unknown mode accepted"
"$m" tx --mode robo --in "$w/missing" --out "$w/x" 2>/dev/null && fail "missing input accepted"
rand_bytes 200 2 > "$w/big.bin"
"$m" tx --mode robo --in "$w/big.bin" --out "$w/x" 2>/dev/null && fail "200-byte ROBO frame accepted"
"$m" rx --in "$w/missing" 2>/dev/null && fail "missing rx input accepted"
"$m" rx --format wav --in "$w/a.bin" 2>/dev/null && fail "non-WAV accepted as WAV"
"$m" rx --format xyz --in "$w/a.bin" 2>/dev/null && fail "unknown format accepted"
"$m" frobnicate 2>/dev/null && fail "unknown command accepted"
: > "$w/empty.f32"
out=$("$m" rx --in "$w/empty.f32" 2>/dev/null) || fail "empty input should be a clean run"
[ -z "$out" ] || fail "empty input produced frames"
rand_bytes 100000 3 > "$w/junk.s16"
out=$("$m" rx --format s16 --in "$w/junk.s16" 2>/dev/null) || fail "junk input should be a clean run"
echo "$out" | grep -q '"rs_ok":true' && fail "junk input delivered a frame"
# refused with a message: NaN samples, a file cut inside a sample, a WAV at another rate or
# shorter than its header says
printf '\x00\x00\xc0\x7f' > "$w/nan.f32"
"$m" rx --in "$w/nan.f32" 2>&1 >/dev/null | grep -q "not a finite number" || fail "NaN sample accepted"
head -c 4001 "$w/i.f32" > "$w/cut.f32"
"$m" rx --in "$w/cut.f32" 2>&1 >/dev/null | grep -q "ends inside a sample" || fail "cut f32 accepted"
{ head -c 24 "$w/f.wav"; printf '\x80\xbb\x00\x00'; tail -c +29 "$w/f.wav"; } > "$w/48k.wav"
"$m" rx --format wav --in "$w/48k.wav" 2>&1 >/dev/null | grep -q "400000 Hz" || fail "48 kHz WAV accepted"
head -c 10000 "$w/f.wav" > "$w/short.wav"
"$m" rx --format wav --in "$w/short.wav" 2>&1 >/dev/null | grep -q "shorter than its header" || fail "short WAV accepted"
echo "plc-modem CLI: all checks passed"
