#!/bin/sh
# plc-gatewayd and plc-gateway on a simulated 50-meter area (the whole mesh stack):
#  - bad configuration: one line naming the file, the line, the section and key;
#  - a simulated night: every meter's daily freeze stored before 07:00, plc-gateway's JSON
#    says so, its path survey gave every meter a parent, its topology renders with graphviz;
#  - kill -9 in the middle of the daily round, restart on the same store: every reading
#    committed before the kill is still there unchanged, none is taken twice, the round
#    finishes;
#  - SIGTERM: exits 0 at once with the store intact.
set -eu
GWD="$1"
GW="$2"
FEEDER="$3/sim/topologies/feeder50.txt"
ECDSA="${4:-0}" # 1: this build checks signatures (mbedTLS)
w=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$w"' EXIT
fail() { echo "FAIL: $1"; exit 1; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }
q() { sqlite3 "$w/gw.db" "$1"; }
command -v sqlite3 > /dev/null || fail "sqlite3 missing: run scripts/setup.sh"

conf() { # $1: clock, $2: speed
    cat > "$w/gw.ini" <<EOF
[gateway]
store = $w/gw.db
clock = $1
[plc]
mode = sim
meters = 50
seed = 1
topology = $FEEDER
power_up_s = 120
speed = $2
[task daily]
scheme = daily
window = 00:05-23:55
EOF
}

# ---- bad configuration ----
printf '[gateway]\nstore = x.db\n[reading]\nparallel = zero\n' > "$w/bad.ini"
if "$GWD" -c "$w/bad.ini" 2> "$w/err"; then fail "bad value accepted"; fi
grep -q "bad.ini:4: \[reading\] parallel: \"zero\" is not a whole number from 1 to 64" "$w/err" ||
    fail "bad value message: $(cat "$w/err")"
[ "$(wc -l < "$w/err")" = 1 ] || fail "one line for a bad value"
printf '[plc]\nmeters = 10\ncolour = blue\n' > "$w/bad.ini"
if "$GWD" -c "$w/bad.ini" 2> "$w/err"; then fail "unknown key accepted"; fi
grep -q "bad.ini:3: \[plc\] colour: unknown key" "$w/err" || fail "unknown key message: $(cat "$w/err")"
printf '[task t]\nwindow = 08:00-07:00\n' > "$w/bad.ini"
if "$GWD" -c "$w/bad.ini" 2> "$w/err"; then fail "bad window accepted"; fi
grep -q "bad.ini:2: \[task t\] window:" "$w/err" || fail "window message: $(cat "$w/err")"

printf '[rs485 line1]\nbaud = 2400\n' > "$w/bad.ini"
if "$GWD" -c "$w/bad.ini" 2> "$w/err"; then fail "serial line without device accepted"; fi
grep -q "bad.ini: \[rs485 line1\] device: missing" "$w/err" || fail "missing device: $(cat "$w/err")"
printf '[rs485 line1]\ndevice = %s/none\nbaud = 2401\n' "$w" > "$w/bad.ini"
if "$GWD" -c "$w/bad.ini" 2> "$w/err"; then fail "bad baud accepted"; fi
grep -q "bad.ini:3: \[rs485 line1\] baud:" "$w/err" || fail "bad baud: $(cat "$w/err")"
printf '[plc]\nspeed = 1\n[rs485 line1]\ndevice = %s/none\n' "$w" > "$w/bad.ini"
if "$GWD" -c "$w/bad.ini" --store "$w/x.db" 2> "$w/err"; then fail "missing device opened"; fi
grep -q "\[rs485 line1\] $w/none: No such file or directory" "$w/err" || fail "device: $(cat "$w/err")"
printf '[rs485 line1]\ndevice = /dev/null\n' > "$w/bad.ini"
if "$GWD" -c "$w/bad.ini" --store "$w/x.db" 2> "$w/err"; then fail "serial line run fast"; fi
grep -q "set \[plc\] speed = 1" "$w/err" || fail "speed: $(cat "$w/err")"

# ---- a night ----
conf "2026-01-01 23:59:00" 0
"$GWD" -c "$w/gw.ini" --for 27000 > "$w/run.json" 2> "$w/run.log" || fail "daemon: $(cat "$w/run.log")"
[ "$(json 'd["joined"]' < "$w/run.json")" = 50 ] || fail "50 meters joined"
[ "$(json 'd["daily_before_deadline"]' < "$w/run.json")" = 50 ] || fail "50 daily freezes by 07:00"
[ "$(json 'd["bad_frames"]+d["wrong_address"]+d["store_errors"]' < "$w/run.json")" = 0 ] ||
    fail "no bad frames or store errors"
"$GW" -s "$w/gw.db" status > "$w/status.json"
[ "$(json 'd["daily"][0]["completeness"]' < "$w/status.json")" = 1.0 ] || fail "status: completeness"
[ "$(json 'd["meters"]' < "$w/status.json")" = 50 ] || fail "status: 50 meters"
"$GW" -s "$w/gw.db" readings --day 2026-01-02 > "$w/r.json"
[ "$(json 'len([r for r in d if r["di"]=="05060101" and r["ts"]=="2026-01-02 00:00:00"])' < "$w/r.json")" = 50 ] ||
    fail "readings: 50 daily freezes of 2026-01-02"
[ "$(json 'all(abs(sum(r["value"]["tariffs"])-r["value"]["total"])<0.005 for r in d)' < "$w/r.json")" = True ] ||
    fail "readings: totals are the sum of the tariffs"
"$GW" -s "$w/gw.db" meters > "$w/m.json"
[ "$(json 'sum(1 for m in d if m["hops"]>=1 and m["short_addr"]>0)' < "$w/m.json")" = 50 ] ||
    fail "meters: route of every meter"
[ "$(json 'max(m["hops"] for m in d) >= 8' < "$w/m.json")" = True ] || fail "meters: 8 hops or more"
[ "$(json 'd["paths"]["complete"] >= 50' < "$w/run.json")" = True ] || fail "path survey: $(cat "$w/run.json")"
"$GW" -s "$w/gw.db" topology > "$w/topo.json"
[ "$(json 'sum(1 for m in d if m["parent"] >= 0)' < "$w/topo.json")" = 50 ] ||
    fail "topology: a parent for every meter"
"$GW" -s "$w/gw.db" topology --dot > "$w/t.dot"
command -v dot > /dev/null || fail "graphviz missing: run scripts/setup.sh"
dot -Tsvg "$w/t.dot" -o "$w/t.svg" || fail "topology does not render"
[ "$(grep -c '<g id="node' "$w/t.svg")" = 51 ] || fail "topology: 51 nodes"

# ---- kill -9 mid-round ----
rm -f "$w"/gw.db*
conf "2026-01-02 00:03:00" 20
"$GWD" -c "$w/gw.ini" > /dev/null 2> "$w/k.log" &
pid=$!
n=0
for i in $(seq 1 600); do
    n=$(q "SELECT count(*) FROM readings" 2> /dev/null || echo 0)
    [ "$n" -ge 10 ] && break
    sleep 0.05
done
kill -9 "$pid"
wait "$pid" 2> /dev/null || true
pid=
[ "$n" -ge 10 ] && [ "$n" -lt 50 ] || fail "kill -9 was not mid-round ($n readings)"
q "SELECT meter, di, ts, value FROM readings" | sort > "$w/before.txt"
kept=$(wc -l < "$w/before.txt")
conf "2026-01-02 00:03:00" 0
"$GWD" -c "$w/gw.ini" --for 3600 > "$w/again.json" 2> "$w/again.log" || fail "restart: $(cat "$w/again.log")"
q "SELECT meter, di, ts, value FROM readings" | sort > "$w/after.txt"
comm -23 "$w/before.txt" "$w/after.txt" > "$w/lost.txt"
[ ! -s "$w/lost.txt" ] || fail "committed readings lost or changed: $(cat "$w/lost.txt")"
[ "$(q "SELECT count(*) FROM readings WHERE di = 84279553")" = 50 ] || fail "the round did not finish: $(q "SELECT count(*) FROM readings WHERE di = 84279553") daily; $(tail -c 600 "$w/again.json")"
[ "$(json 'd["duplicates"]' < "$w/again.json")" = 0 ] || fail "readings taken twice after the restart"
[ "$(json 'd["stored"]' < "$w/again.json")" = $((50 - kept)) ] || fail "the restart stored $(json 'd["stored"]' < "$w/again.json"), not $((50 - kept))"
[ "$(q "PRAGMA integrity_check")" = ok ] || fail "integrity after kill -9"
echo "kill -9 after $kept of 50 readings: none lost, the rest after the restart"

# ---- SIGTERM ----
conf "2026-01-02 00:03:00" 1
"$GWD" -c "$w/gw.ini" > "$w/t.json" 2> "$w/t.log" &
pid=$!
sleep 1
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=
[ "$rc" = 0 ] || fail "SIGTERM: exit $rc"
grep -q "stopping on a signal" "$w/t.log" || fail "SIGTERM: no message"
[ "$(q "PRAGMA integrity_check")" = ok ] || fail "integrity after SIGTERM"
[ "$(q "SELECT value FROM state WHERE key = 'daemon_pid'")" = 0 ] || fail "SIGTERM: pid left in the store"
# ---- a firmware image through the command log ----
read -r SIG PUB <<VEC
$(python3 "$3/tests/fw_image_vector.py" "$3/vectors/oracle/fw_image.txt" "$w/fw.bin")
VEC
printf '[firmware]\nimage = %s\nsignature = %s\nid = 7\nkey = %s\n' "$w/fw.bin" "$SIG" "$PUB" > "$w/fw.part"
rm -f "$w"/gw.db*
conf "2026-01-02 00:03:00" 0
cat "$w/fw.part" >> "$w/gw.ini"
if [ "$ECDSA" = 1 ]; then
    "$GWD" -c "$w/gw.ini" --for 600 > /dev/null 2>&1 || fail "firmware: the daemon"
    "$GW" -s "$w/gw.db" command fw-7 000000000007 firmware 60 --wait 0 > /dev/null
    "$GWD" -c "$w/gw.ini" --for 1200 > /dev/null 2>&1 || fail "firmware: the daemon again"
    "$GW" -s "$w/gw.db" commands > "$w/c.json"
    [ "$(json '[c["status"] for c in d if c["id"]=="fw-7"][0]' < "$w/c.json")" = done ] ||
        fail "firmware: $(cat "$w/c.json")"
    [ "$(json '[c["result"]["blocks"] for c in d if c["id"]=="fw-7"][0]' < "$w/c.json")" = 24 ] ||
        fail "firmware: 24 blocks"
    echo "firmware: 24 blocks to meter 7, checked, switched"
else
    if "$GWD" -c "$w/gw.ini" --for 10 2> "$w/err" > /dev/null; then fail "firmware key without ECDSA"; fi
    grep -q "\[firmware\] key: this build has no ECDSA" "$w/err" || fail "firmware: $(cat "$w/err")"
    echo "firmware: this build has no ECDSA, and says so"
fi
# ---- a tariff price through the command log (plc-gateway's RATE:YUAN) ----
rm -f "$w"/gw.db*
conf "2026-01-02 00:03:00" 0
"$GWD" -c "$w/gw.ini" --for 300 > /dev/null 2>&1 || fail "price: the daemon's first run"
if "$GW" -s "$w/gw.db" command p-bad 000000000003 price 5:0.5 --wait 0 2> "$w/err"; then
    fail "price of rate 5 accepted"
fi
grep -q "price: RATE:YUAN_PER_KWH" "$w/err" || fail "price usage: $(cat "$w/err")"
"$GW" -s "$w/gw.db" command p-3 000000000003 price 3:0.8800 --wait 0 > /dev/null
"$GWD" -c "$w/gw.ini" --for 300 > /dev/null 2>&1 || fail "price: the daemon"
"$GW" -s "$w/gw.db" commands > "$w/c.json"
[ "$(json '[(c["status"], c["result"]["price"], c["result"]["verified"]) for c in d if c["id"]=="p-3"][0]' < "$w/c.json")" = \
  "('done', 0.88, True)" ] || fail "price: $(cat "$w/c.json")"
echo "price: rate 3 of meter 3 written and read back"
printf '[firmware]\nimage = x.bin\n' > "$w/bad.ini"
if "$GWD" -c "$w/bad.ini" 2> "$w/err"; then fail "unsigned image accepted"; fi
grep -q "\[firmware\] signature: missing" "$w/err" || fail "unsigned: $(cat "$w/err")"

# ---- the systemd unit names the daemon and checks out ----
command -v systemd-analyze > /dev/null || fail "systemd-analyze missing: run scripts/setup.sh"
sed "s|/usr/local/bin/plc-gatewayd|$(readlink -f "$GWD")|" "$3/gateway/etc/plc-gatewayd.service" \
    > "$w/plc-gatewayd.service"
systemd-analyze verify "$w/plc-gatewayd.service" > "$w/sd.log" 2>&1 || fail "unit: $(cat "$w/sd.log")"
[ ! -s "$w/sd.log" ] || fail "unit warnings: $(cat "$w/sd.log")"
echo "plc-gatewayd: all checks passed"
