#!/usr/bin/env bash
# The main job: the concentrator daemon (plc-gatewayd) with a simulated transformer area of 50
# DL/T 645 meters on a long rural feeder (up to 14 hops), every node the whole stack (MAC with
# AES-CCM*, adaptation layer, LOADng, LBP + EAP-PSK admission). It runs the night from 23:59
# to 07:30 as fast as it goes: the meters join, the concentrator reads every meter's daily
# freeze and hourly energy across the mesh and keeps them in its SQLite store; then plc-gateway
# shows what was stored, and a remote trip and a top-up make the round trip through the log.
# The modem and coding demos of earlier issues: scripts/demo-modem.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh release >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
db="$work/gateway.db"
gwd=build/tools/plc-gatewayd
gw=build/tools/plc-gateway
brief() { python3 -c "$1"; }

echo "== plc-gatewayd: 50 meters over the mesh, the night of 2026-01-01 =="
"$gwd" -c gateway/etc/plc-gatewayd.ini --store "$db" --for 27060 --topology-out "$work/routes.dot" \
    > "$work/run.json"
echo "summary: $(cat "$work/run.json")"
echo
echo "== plc-gateway status =="
"$gw" -s "$db" status
echo
echo "== the daily freeze of 2026-01-02, first 5 meters (of $("$gw" -s "$db" readings --day 2026-01-02 |
    brief 'import json,sys; print(sum(1 for r in json.load(sys.stdin) if r["di"]=="05060101"))')) =="
"$gw" -s "$db" readings --day 2026-01-02 | brief '
import json, sys
rows = [r for r in json.load(sys.stdin) if r["di"] == "05060101"][:5]
for r in rows:
    v = r["value"]
    print("%s  frozen %s  total %9.2f kWh  tariffs %s  read %s" % (r["meter"], r["ts"], v["total"], v["tariffs"], r["read_at"]))'
echo
echo "== events =="
"$gw" -s "$db" events
echo
echo "== routes: hops from the concentrator =="
"$gw" -s "$db" meters | brief '
import json, sys, collections
m = json.load(sys.stdin)
c = collections.Counter(x["hops"] for x in m)
print("  ".join(f"{h} hops: {c[h]}" for h in sorted(c)))'
echo
echo "== a remote trip and a top-up, through the command log =="
"$gw" -s "$db" command trip-0007 000000000007 trip --wait 0 > /dev/null
"$gw" -s "$db" command topup-0009-1 000000000009 topup 50.00 --wait 0 > /dev/null
"$gwd" -c gateway/etc/plc-gatewayd.ini --store "$db" --for 900 > /dev/null 2>&1
"$gw" -s "$db" commands
echo "(the same ids again are not applied twice:)"
"$gw" -s "$db" command topup-0009-1 000000000009 topup 50.00 --wait 0
