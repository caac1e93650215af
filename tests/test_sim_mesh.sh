#!/bin/sh
# plc-sim --traffic mesh on both PHYs: every meter joins through LBP and answers the read
# (exact counts from the JSON object), --topology-out writes one route edge per meter, and a
# bad combination of options is refused with one line.
set -eu
SIM="$1"
PER="$2/docs/per/per_sco.dat"
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
fail() { echo "FAIL: $1"; exit 1; }
field() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$1" "$2"; }
"$SIM" --traffic mesh --nodes 21 --phy abstract --seed 1 --duration 1800 --power-up 120 --per-table "$PER" --json \
    --topology-out "$w/m.dot" > "$w/a.json"
[ "$(field "$w/a.json" meters)" = 20 ] || fail "abstract: meters"
[ "$(field "$w/a.json" joined)" = 20 ] || fail "abstract: all 20 joined"
[ "$(field "$w/a.json" delivery)" = 1.0 ] || fail "abstract: every meter answered"
[ "$(field "$w/a.json" all_joined_s)" != None ] || fail "abstract: all_joined_s"
for k in max_hops mean_hops rreq_share frames_per_meter; do
    field "$w/a.json" $k > /dev/null || fail "abstract: $k missing"
done
[ "$(grep -c -- '-> n' "$w/m.dot")" = 20 ] || fail "topology: one edge per meter"
"$SIM" --traffic mesh --nodes 6 --phy waveform --seed 1 --duration 600 --power-up 60 --per-table "$PER" --json > "$w/w.json"
[ "$(field "$w/w.json" joined)" = 5 ] || fail "waveform: all 5 joined"
[ "$(field "$w/w.json" delivery)" = 1.0 ] || fail "waveform: every meter answered"
if "$SIM" --traffic mac --nodes 3 --duration 10 --topology-out "$w/x.dot" 2> "$w/err"; then
    fail "--topology-out without mesh accepted"
fi
grep -q "goes with --traffic mesh" "$w/err" || fail "message for --topology-out"
echo "plc-sim mesh: all checks passed"
