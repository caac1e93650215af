#!/bin/sh
# plc-sim --traffic mesh on both PHYs: every meter joins through LBP and answers the read
# (exact counts from the JSON object), --topology-out writes one route edge per meter (and
# graphviz renders it), --pcap's capture decodes with tshark's 6LoWPAN dissector (mesh and
# fragment headers), and a
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
command -v dot > /dev/null || fail "graphviz (dot) missing: run scripts/setup.sh"
dot -Tsvg "$w/m.dot" -o "$w/m.svg" || fail "dot could not render the routes"
[ "$(grep -c '<g id="node' "$w/m.svg")" = 21 ] || fail "rendered: 21 nodes"
# --pcap: the concentrator's MSDUs as 6LoWPAN (Ethernet, EtherType 0xA0ED); 700-byte answers
# travel as FRAG1 + FRAGN (offset 384) under a mesh header from each meter to 0x0000
command -v tshark > /dev/null || fail "tshark missing: run scripts/setup.sh"
"$SIM" --traffic mesh --nodes 11 --phy abstract --seed 1 --duration 900 --power-up 60 --per-table "$PER" \
    --answer 700 --pcap "$w/m.pcap" --json > "$w/p.json"
[ "$(field "$w/p.json" delivery)" = 1.0 ] || fail "pcap run: every meter answered"
tshark -r "$w/m.pcap" -T fields -e frame.protocols -e 6lowpan.mesh.orig16 -e 6lowpan.mesh.dest16 \
    -e 6lowpan.frag.size -e 6lowpan.frag.offset -e data.data -e _ws.malformed 2>/dev/null > "$w/f.txt" \
    || fail "tshark cannot read the capture"
total=$(grep -c . "$w/f.txt")
[ "$total" -gt 20 ] || fail "pcap: only $total frames"
[ "$(awk -F'\t' '$1 ~ /:6lowpan/ && $7 == ""' "$w/f.txt" | grep -c .)" = "$total" ] \
    || fail "pcap: not every frame decoded as 6LoWPAN without errors"
[ "$(awk -F'\t' '$3 == "0x0000" && $4 == 702 && $5 == ""' "$w/f.txt" | cut -f2 | sort -u | grep -c .)" = 10 ] \
    || fail "pcap: a FRAG1 of 702 bytes from each of the 10 meters"
[ "$(awk -F'\t' '$3 == "0x0000" && $4 == 702 && $5 == 384' "$w/f.txt" | cut -f2 | sort -u | grep -c .)" = 10 ] \
    || fail "pcap: a FRAGN at offset 384 from each meter"
[ "$(awk -F'\t' '$2 == "0x0000" && $6 ~ /^8011/' "$w/f.txt" | cut -f3 | sort -u | grep -c .)" = 10 ] \
    || fail "pcap: a read request (ESC 0x80, 0x11) from the concentrator to each meter"
"$SIM" --traffic mesh --nodes 6 --phy waveform --seed 1 --duration 600 --power-up 60 --per-table "$PER" --json > "$w/w.json"
[ "$(field "$w/w.json" joined)" = 5 ] || fail "waveform: all 5 joined"
[ "$(field "$w/w.json" delivery)" = 1.0 ] || fail "waveform: every meter answered"
if "$SIM" --traffic mac --nodes 3 --duration 10 --topology-out "$w/x.dot" 2> "$w/err"; then
    fail "--topology-out without mesh accepted"
fi
grep -q "goes with --traffic mesh" "$w/err" || fail "message for --topology-out"
echo "plc-sim mesh: all checks passed"
