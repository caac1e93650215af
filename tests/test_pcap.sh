#!/usr/bin/env bash
# plc-sim --pcap: the concentrator's frames of a MAC run as a pcap file (link type 230,
# IEEE 802.15.4 without FCS: the MAC checked the G3 FCS, CRC-16/XMODEM, before the tap);
# tshark decodes every frame. tshark is required (scripts/setup.sh installs it): without it
# the test fails rather than pass unchecked.
set -u
sim="$1"
src="$2"
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
command -v tshark >/dev/null || fail "tshark not installed (scripts/setup.sh installs it)"
cd "$src" || fail "no source dir"
out=$("$sim" --nodes 5 --phy abstract --seed 2 --duration 30 --psdu 60 --secure \
      --pcap "$w/run.pcap" --json) || fail "plc-sim --pcap"
ok=$(echo "$out" | sed -n 's/.*"msdu_ok":\([0-9]*\).*/\1/p')
[ -n "$ok" ] && [ "$ok" -ge 8 ] || fail "too few MSDUs confirmed: $out"
# classic pcap header: magic a1b2c3d4 (little endian), version 2.4, link type 230 (0xe6)
head -c 24 "$w/run.pcap" | od -An -tx1 | tr -d ' \n' | grep -q '^d4c3b2a102000400.*e6000000$' \
  || fail "pcap header"
"$sim" --nodes 3 --phy abstract --duration 5 --pcap /nonexistent/dir/x.pcap 2>/dev/null \
  && fail "unwritable pcap path accepted"
fields=$(tshark -r "$w/run.pcap" -T fields -e frame.protocols -e wpan.frame_type -e wpan.src16 \
         -e wpan.dst16 -e wpan.security -e _ws.malformed 2>/dev/null) || fail "tshark cannot read the file"
frames=$(echo "$fields" | grep -c .)
wpan=$(echo "$fields" | awk -F'\t' '$1 ~ /wpan/ && $6 == ""' | grep -c .)
[ "$frames" -gt 0 ] && [ "$frames" = "$wpan" ] || fail "not every frame decoded as 802.15.4: $fields"
# every data frame the concentrator received came from a meter to 0x0000, secured
data=$(echo "$fields" | awk -F'\t' '$2 == "0x0001" && $4 == "0x0000" && $5 == "1"' | grep -c .)
[ "$data" = "$ok" ] || fail "expected $ok secured data frames to 0x0000, got $data: $fields"
echo "pcap: $frames frames decoded by tshark as 802.15.4, $data secured data frames"
