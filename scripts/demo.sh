#!/usr/bin/env bash
# The main job: the acquisition chain end to end on one machine. plc-headend (the master
# station's reference head-end: ZeroMQ ROUTER, CURVE, a ZAP allow-list, SQLite) and
# plc-gatewayd (the concentrator) with a simulated transformer area of 50 DL/T 645 meters on
# a long rural feeder (up to 14 hops), every node the whole stack (MAC with AES-CCM*,
# adaptation layer, LOADng, LBP + EAP-PSK admission). The night from 23:59 to 07:30 runs as
# fast as it goes: the meters join, the concentrator reads every daily freeze and hourly
# energy across the mesh into its store, and its outbox carries each reading and event,
# encrypted, to the head-end, which acknowledges what it has committed. Then the head-end
# sends a remote trip and a top-up down the same link (and the same top-up id again, which
# the concentrator answers from its log without applying it twice), and shows its
# statistics. The modem and coding demos of earlier issues: scripts/demo-modem.sh.
# PLC_DEMO_TOOLS=DIR: the tools of an existing build instead (the test suite runs the demo so)
set -euo pipefail
cd "$(dirname "$0")/.."
tools=${PLC_DEMO_TOOLS:-}
if [ -z "$tools" ]; then
  scripts/build.sh release >/dev/null
  tools=build/tools
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
db="$work/gateway.db"
gwd=$tools/plc-gatewayd
gw=$tools/plc-gateway
brief() { python3 -c "$1"; }

he=$tools/plc-headend
port=$(python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
ep="tcp://127.0.0.1:$port"

echo "== keys (plc-keygen): the head-end's and the concentrator's CURVE key pairs =="
"$tools/plc-keygen" "$work/headend" > /dev/null
"$tools/plc-keygen" "$work/area-0001" > /dev/null
echo "area-0001 $work/area-0001.pub" > "$work/allow.txt"
echo "head-end public key $(sed -n 's/^public = //p' "$work/headend.pub"); allow-list: area-0001"
echo
"$he" serve --bind "$ep" --key "$work/headend.key" --allow "$work/allow.txt" \
    --store "$work/headend.db" --for 600 > "$work/headend.json" 2> "$work/headend.log" &
he_pid=$!
trap 'kill "$he_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
conf="$work/plc-gatewayd.ini"
{ cat gateway/etc/plc-gatewayd.ini
  printf '[upstream]\nendpoint = %s\ngateway_id = area-0001\nkey = %s/area-0001.key\n' "$ep" "$work"
  printf 'server_key = %s/headend.pub\nlatitude = 31.2304\nlongitude = 121.4737\n' "$work"
} > "$conf"

echo "== plc-gatewayd: 50 meters over the mesh, the night of 2026-01-01, reporting to $ep =="
"$gwd" -c "$conf" --store "$db" --for 27060 --drain 30 --topology-out "$work/routes.dot" \
    > "$work/run.json" 2> "$work/run.log"
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
echo "== at the head-end: what arrived (plc-headend stats) =="
"$he" stats --store "$work/headend.db" | brief '
import json, sys
d = json.load(sys.stdin)
for g in d["gateways"]:
    print("%s (%s, %d meters, at %.4f N %.4f E):" % (g["gateway"], g["software"], g["meters"], g["latitude"], g["longitude"]))
    for day in g["days"]:
        print("  %s: %d readings, daily freeze from %d meters (%.1f%%), events %s" % (day["day"], day["readings"], day["daily_meters"], 100 * day["completeness"], day["events"] or "none"))'
echo "the concentrator's outbox after the night: $(sqlite3 "$db" "SELECT count(*) FROM outbox") waiting"
echo
echo "== commands from the head-end down the link: a trip, a top-up, the top-up's id again =="
sed -i 's/^speed = 0$/speed = 20/' "$conf" # the morning in 20x real time while commands run
"$gwd" -c "$conf" --store "$db" --for 1200 > /dev/null 2>&1 &
gwd_pid=$!
"$he" command --store "$work/headend.db" --gateway area-0001 --kind trip --meter 000000000007 --id trip-0007
"$he" command --store "$work/headend.db" --gateway area-0001 --kind topup --meter 000000000009 --arg 5000 --id topup-0009-1
"$he" command --store "$work/headend.db" --gateway area-0001 --kind topup --meter 000000000009 --arg 5000 --id topup-0009-1 --again
kill -TERM "$gwd_pid"
wait "$gwd_pid" || true
echo
echo "== the head-end's CSV export of the day (first 4 lines of $("$he" export --store "$work/headend.db" readings --day 2026-01-02 | wc -l)) =="
"$he" export --store "$work/headend.db" readings --day 2026-01-02 | head -4 || true
kill -TERM "$he_pid"
wait "$he_pid" || true
echo "head-end counters: $(cat "$work/headend.json")"
