#!/bin/sh
# The upstream link end to end on loopback (plc-gatewayd with a simulated 20-meter area,
# plc-headend, plc-keygen, and a Python head-end made from the .proto alone):
#  1. readings and events arrive at the head-end, and the position of a GNSS receiver (NMEA
#     sentences on a pseudo-terminal); commands round trip: a trip read back, a
#     replayed id answered from the log and not applied again, an unknown meter refused, an
#     on-demand read, the topology, an archive add, a time sync;
#  2. a gateway whose key is not in the allow-list is refused, and the refusal logged;
#  3. a misbehaving client: garbage, a message before the login, a login naming another
#     gateway, an oversized message, a routing id not its key's: each refused, the
#     head-end still serving;
#  4. exactly once: the head-end down for a simulated hour of reading, then back; the gateway
#     killed -9 mid-round and restarted; the head-end restarted every few seconds (a
#     flapping link): every reading the gateway committed is at the head-end exactly once;
#  5. the gateway's clock steps to the head-end's (30 s off) from heartbeat round trips;
#  6. a Python head-end (protoc --python_out of the same .proto) reads the gateway, and the
#     gateway refuses its malformed message and its version 2.
# Every process is bounded (timeout, or its own --for when it runs in the background, so
# that $! is its pid); everything listens on 127.0.0.1 only.
set -eu
GWD="$1"
HE="$2"
KEYGEN="$3"
SRC="$4"
w=$(mktemp -d)
pids=
trap 'for p in $pids; do kill -9 "$p" 2>/dev/null || true; done; [ -n "${KEEP:-}" ] || rm -rf "$w"' EXIT
fail() {
    echo "FAIL: $1"
    for f in "$w"/*.err; do [ -f "$f" ] && { echo "--- $f"; tail -5 "$f"; }; done
    exit 1
}
json() { python3 -c "import json,sys; d=json.loads(sys.stdin.read().strip().splitlines()[-1]); print(eval(sys.argv[1]))" "$1"; }
for t in sqlite3 python3 protoc; do
    command -v $t > /dev/null || fail "$t missing: run scripts/setup.sh"
done
# Debian's python3-zmq and python3-protobuf live in the system interpreter (not a pyenv one)
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
"$PY" -c "import zmq, google.protobuf" || fail "python3-zmq / python3-protobuf missing: run scripts/setup.sh"
port=$(python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
EP="tcp://127.0.0.1:$port"
cd "$w"

# ---- keys ----
"$KEYGEN" he > he.txt && "$KEYGEN" gw1 > /dev/null && "$KEYGEN" gw2 > /dev/null &&
    "$KEYGEN" probe1 > /dev/null || fail "plc-keygen"
[ "$(stat -c %a he.key)" = 600 ] || fail "the secret key file is not 0600"
grep -qxF "public = $(cat he.txt)" he.pub || fail "plc-keygen printed another key than it wrote"
if "$KEYGEN" he 2> kg.err; then fail "plc-keygen overwrote a key"; fi
printf '# gateways allowed\ngw1 gw1.pub\nprobe1 %s\n' "$(sed -n 's/^public = //p' probe1.pub)" > allow.txt

# ---- bad [upstream] / [gnss] configuration: one line naming the file and key ----
printf '[upstream]\nendpoint = tcp://127.0.0.1:1\ngateway_id = gw1\n' > bad.ini
if "$GWD" -c bad.ini 2> bad.err; then fail "an endpoint without keys accepted"; fi
grep -q "bad.ini: \[upstream\] endpoint needs gateway_id, key and server_key" bad.err || fail "$(cat bad.err)"
printf '[upstream]\nbatch = 0\n' > bad.ini
if "$GWD" -c bad.ini 2> bad.err; then fail "batch 0 accepted"; fi
grep -q "bad.ini:2: \[upstream\] batch: \"0\" is not a whole number from 1 to 4096" bad.err || fail "$(cat bad.err)"
printf '[gnss]\nbaud = 1234\n' > bad.ini
if "$GWD" -c bad.ini 2> bad.err; then fail "gnss baud 1234 accepted"; fi
grep -q "bad.ini:2: \[gnss\] baud:" bad.err || fail "$(cat bad.err)"
printf '[upstream]\nendpoint = tcp://127.0.0.1:1\ngateway_id = gw1\nkey = none.key\nserver_key = he.pub\n' > bad.ini
if "$GWD" -c bad.ini --for 10 2> bad.err; then fail "a missing key file accepted"; fi
grep -q "none.key: No such file or directory" bad.err || fail "$(cat bad.err)"

headend() { # $1 store, then extra arguments; background, pid in $he_pid
    db="$1"
    shift
    "$HE" serve --bind "$EP" --key he.key --allow allow.txt --store "$db" --for 300 "$@" \
        > "$db.out" 2>> he.err &
    he_pid=$!
    pids="$pids $he_pid"
    sleep 0.3
}
stop_headend() {
    kill -TERM "$he_pid" 2> /dev/null || true
    wait "$he_pid" 2> /dev/null || true
}
conf() { # $1 name, $2 gateway id, $3 speed, $4 store, $5 extra lines
    cat > "$1" <<EOF
[gateway]
store = $4
clock = 2026-01-01 23:59:00
[plc]
mode = sim
meters = 20
seed = 1
power_up_s = 60
speed = $3
[task daily]
scheme = daily
window = 00:05-23:55
[task energy]
scheme = energy
interval_s = 900
window = 00:00-24:00
priority = 2
[upstream]
endpoint = $EP
gateway_id = $2
key = $2.key
server_key = he.pub
heartbeat_s = 2
backoff_min_ms = 200
backoff_max_ms = 1000
latitude = 30.5
longitude = 120.25
${5:-}
EOF
}
wait_for() { # $1 seconds, $2 shell condition
    n=0
    while ! eval "$2"; do
        n=$((n + 1))
        [ $n -gt $(($1 * 10)) ] && return 1
        sleep 0.1
    done
}
cmd() { # head-end command: prints its JSON line; $? its exit code
    timeout 120 "$HE" command --store he.db --gateway gw1 --wait 60 "$@"
}
exactly_once() { # $1 gateway store, $2 head-end store, $3 what
    missing=$(sqlite3 "$1" "ATTACH '$2' AS he; SELECT count(*) FROM readings r JOIN meters m
        ON m.id = r.meter WHERE NOT EXISTS (SELECT 1 FROM he.readings h WHERE h.meter = m.address
        AND h.di = r.di AND h.ts = r.ts);")
    dups=$(sqlite3 "$2" "SELECT count(*) - (SELECT count(*) FROM (SELECT DISTINCT gateway, meter,
        di, ts FROM readings)) FROM readings;")
    gw_n=$(sqlite3 "$1" "SELECT count(*) FROM readings")
    he_n=$(sqlite3 "$2" "SELECT count(*) FROM readings")
    gw_e=$(sqlite3 "$1" "SELECT count(*) FROM events")
    he_e=$(sqlite3 "$2" "SELECT count(*) FROM events")
    [ "$missing" = 0 ] && [ "$dups" = 0 ] && [ "$gw_n" = "$he_n" ] && [ "$gw_e" = "$he_e" ] ||
        fail "$3: gateway $gw_n readings $gw_e events, head-end $he_n / $he_e, missing $missing, duplicated $dups"
    echo "ok: $3: $he_n readings and $he_e events, each once"
}

# ---- 1. delivery and commands; the position from a GNSS receiver (NMEA on a pty) ----
headend he.db
"$PY" - "$w/gnss" <<'PY' > gnss.out 2>&1 &
import os, pty, sys, time
master, slave = pty.openpty()
os.symlink(os.ttyname(slave), sys.argv[1])
t_end = time.time() + 90  # bounded
while time.time() < t_end:
    os.write(master, b"$GPGSV,3,1,11,03,03,111,00,04,15,270,00,06,01,010,00,13,06,292,00*74\r\n"
                     b"$BDGGA,041500.00,3113.824,N,12128.422,E,1,12,0.8,4.5,M,0.0,M,,*45\r\n")
    time.sleep(0.5)
PY
pids="$pids $!"
wait_for 10 '[ -e "$w/gnss" ]' || fail "no pty for the GNSS receiver"
conf gw1.ini gw1 100 gw1.db "[gnss]
device = $w/gnss"
"$GWD" -c gw1.ini --for 3000 > gw1.out 2> gw1.err &
gw_pid=$!
pids="$pids $gw_pid"
wait_for 60 '[ "$(sqlite3 he.db "SELECT count(DISTINCT meter) FROM readings WHERE di = 84279553" 2>/dev/null)" = 20 ]' ||
    fail "the 20 daily freezes did not reach the head-end"
wait_for 10 '[ "$(sqlite3 he.db "SELECT latitude || \",\" || longitude || \",\" || location_source FROM gateways WHERE name = \"gw1\"")" = "31.2304,121.4737,gnss" ]' ||
    fail "the login's location is not the GNSS receiver's: $(sqlite3 he.db "SELECT latitude, longitude, location_source FROM gateways")"
r=$(cmd --kind trip --meter 000000000003 --id t1) || fail "trip: $r"
[ "$(echo "$r" | json 'd["result"]["verified"]')" = True ] || fail "trip not read back: $r"
r=$(cmd --kind trip --meter 000000000003 --id t1 --again) || fail "replayed trip: $r"
[ "$(echo "$r" | json 'd["repeated"]')" = True ] || fail "a replayed id was not answered from the log: $r"
[ "$(sqlite3 gw1.db "SELECT count(*) FROM commands WHERE id = 't1'")" = 1 ] || fail "t1 logged twice"
r=$(cmd --kind read --meter 000000000004 --arg 0x00010000) || fail "read: $r"
echo "$r" | json 'd["result"]' | grep -q '[0-9]' || fail "on-demand read: $r"
if r=$(cmd --kind trip --meter 999999999999); then fail "unknown meter accepted: $r"; fi
[ "$(echo "$r" | json 'd["code"]')" = -84 ] || fail "unknown meter: $r"
r=$(cmd --kind topology) || fail "topology: $r"
[ "$(echo "$r" | json 'd["result"]["meters"]')" = 20 ] || fail "topology: $r"
r=$(cmd --kind archive-add --meter 000000000099 --eui 0011223344556677 \
    --psk 00112233445566778899aabbccddeeff --asset NEW-1) || fail "archive-add: $r"
[ "$(sqlite3 gw1.db "SELECT asset || ',' || in_archive FROM meters WHERE address = '000000000099'")" = "NEW-1,1" ] ||
    fail "archive-add did not reach the gateway's archive"
r=$(cmd --kind tariff --meter 000000000005 --rate 2 --arg 5230 --tariff TOU-2027 --id tariff-5-2) ||
    fail "tariff: $r"
[ "$(echo "$r" | json '(d["result"]["rate"], d["result"]["price"], d["result"]["verified"])')" = "(2, 0.523, True)" ] ||
    fail "tariff price not read back: $r"
[ "$(sqlite3 gw1.db "SELECT tariff FROM meters WHERE address = '000000000005'")" = TOU-2027 ] ||
    fail "the tariff's name is not in the archive"
if cmd --kind tariff --meter 000000000005 --rate 5 --arg 5230 > /dev/null 2> cli.err; then
    fail "rate 5 accepted"
fi
grep -q "tariff needs rate 1-4" cli.err || fail "rate 5: $(cat cli.err)"
r=$(cmd --kind time-sync) || fail "time-sync: $r"
[ "$(sqlite3 gw1.db "SELECT count(*) FROM events WHERE kind = 'time-sync'")" -ge 1 ] || fail "no time-sync event"
if r=$(timeout 10 "$HE" command --store he.db --gateway nobody --kind topology 2>&1); then
    fail "a command for an unknown gateway was queued"
fi
echo "ok: commands: trip read back, replay answered from the log, unknown meter refused, read, tariff price read back, topology, archive-add, time-sync"
kill -TERM "$gw_pid"
wait "$gw_pid" || fail "plc-gatewayd (1) exited $? on SIGTERM"
timeout 60 "$GWD" -c gw1.ini --for 1 --drain 30 > gw1b.out 2> gw1b.err || fail "drain after SIGTERM"
exactly_once gw1.db he.db "delivery at 100x real time"
r=$(timeout 10 "$HE" stats --store he.db --day 2026-01-02) || fail "stats"
# the head-end's meter count is the last login's: 20, or 21 when the gateway logged in again
# after the archive-add (its first GNSS fix may come after the login, or not)
[ "$(echo "$r" | json 'd["gateways"][0]["days"][0]["daily_meters"] == 20 and d["gateways"][0]["meters"] in (20, 21) and abs(d["gateways"][0]["days"][0]["completeness"] - 20 / d["gateways"][0]["meters"]) < 1e-4')" = True ] ||
    fail "stats: 20 daily freezes: $r"

# ---- 2. an unknown key ----
conf gw2.ini gw2 0 gw2.db
if timeout 60 "$GWD" -c gw2.ini --for 300 --drain 4 > gw2.out 2> gw2.err; then
    fail "a gateway with an unknown key delivered"
fi
[ "$(json 'd["upstream"]["auth_failures"] >= 1 and d["upstream"]["logins"] == 0' < gw2.out)" = True ] ||
    fail "unknown key: $(cat gw2.out)"
grep -q "refused our key (ZAP status 400)" gw2.err || fail "the gateway did not log its refusal"
timeout 10 "$HE" log --store he.db | grep -qF "refused CURVE key $(sed -n 's/^public = //p' gw2.pub)" ||
    fail "the head-end did not log the refused key"
echo "ok: an unknown key refused and logged on both sides"

# ---- 3. a misbehaving client ----
protoc --proto_path="$SRC/gateway/proto" --python_out="$w" "$SRC/gateway/proto/plc_upstream.proto" ||
    fail "protoc --python_out"
r=$(timeout 60 "$PY" "$SRC/tests/upstream_peer.py" probe "$w" "$EP" he.pub probe1.key probe1) ||
    fail "probe: $r"
[ "$(echo "$r" | json '(d["garbage"], d["before_login"], d["login_other_id"], d["oversized_answered"], d["login_after"], d["mismatch_answered"])')" = \
  "(-90, -91, -93, False, True, False)" ] || fail "probe: $r"
timeout 10 "$HE" log --store he.db | grep -q 'routing id "not-probe1"' || fail "the mismatch was not logged"
echo "ok: garbage, before login, another id, oversized, routing id not its key's: each refused"
stop_headend

# ---- 4. exactly once through outages ----
rm -f gw4.db* he4.db*
conf gw4.ini gw1 0 gw4.db
"$GWD" -c gw4.ini --for 3600 --drain 60 > gw4a.out 2> gw4a.err &
gw_pid=$!
pids="$pids $gw_pid"
wait_for 60 'grep -q "00:59:00\]" gw4a.err' || fail "the simulated hour did not pass"
[ "$(sqlite3 gw4.db "SELECT count(*) FROM outbox")" -gt 60 ] || fail "no outbox kept while the head-end was down"
headend he4.db
wait "$gw_pid" || fail "the outbox did not drain once the head-end came back"
exactly_once gw4.db he4.db "head-end down for a simulated hour"

sed -i 's/^speed = 0$/speed = 50/' gw4.ini
"$GWD" -c gw4.ini --for 7200 > gw4b.out 2> gw4b.err &
gw_pid=$!
pids="$pids $gw_pid"
wait_for 60 '[ "$(sqlite3 he4.db "SELECT count(*) FROM readings")" -gt "$he_n" ]' ||
    fail "no delivery after the restart"
sleep 2
kill -9 "$gw_pid"
wait "$gw_pid" 2> /dev/null || true
sed -i 's/^speed = 50$/speed = 0/' gw4.ini
timeout 120 "$GWD" -c gw4.ini --for 1800 --drain 60 > gw4c.out 2> gw4c.err || fail "restart after kill -9"
exactly_once gw4.db he4.db "gateway killed -9 mid-round and restarted"

sed -i 's/^speed = 0$/speed = 100/; s/^interval_s = 900$/interval_s = 300/' gw4.ini
"$GWD" -c gw4.ini --for 1800 --drain 60 > gw4d.out 2> gw4d.err &
gw_pid=$!
pids="$pids $gw_pid"
for i in 1 2 3 4 5; do
    sleep 2
    stop_headend
    sleep 0.5
    headend he4.db
done
wait "$gw_pid" || fail "the outbox did not drain after the flapping"
[ "$(json 'd["upstream"]["logins"] >= 5' < gw4d.out)" = True ] || fail "flapping: $(cat gw4d.out)"
exactly_once gw4.db he4.db "head-end restarted 5 times in 12 s"
stop_headend

# ---- 5. the gateway's clock follows the head-end's ----
rm -f gw5.db*
conf gw5.ini gw1 1 gw5.db "clock_samples = 3"
sed -i '/^clock = /d' gw5.ini
headend he5.db --clock-offset 30000
timeout 60 "$GWD" -c gw5.ini --for 12 > gw5.out 2> gw5.err || fail "plc-gatewayd (5)"
stop_headend
d=$(sqlite3 gw5.db "SELECT detail FROM events WHERE kind = 'clock-step'")
# 30 s less the lag the gateway's own clock started with (the simulated area's start-up)
step_ms=$(echo "$d" | sed -n 's/^stepped +\([0-9]*\) ms.*/\1/p')
[ -n "$step_ms" ] && [ "$step_ms" -ge 25000 ] && [ "$step_ms" -le 30500 ] ||
    fail "clock step: '$d' $(cat gw5.out)"
echo "ok: the clock stepped to the head-end's: $d"

# ---- 6. a Python head-end from the .proto ----
rm -f gw6.db*
conf gw6.ini gw1 100 gw6.db
"$PY" "$SRC/tests/upstream_peer.py" headend "$w" "$EP" he.key gw1.pub 20 60 > py.out 2> py.err &
py_pid=$!
pids="$pids $py_pid"
sleep 1
"$GWD" -c gw6.ini --for 1200 > gw6.out 2> gw6.err &
gw_pid=$!
pids="$pids $gw_pid"
wait "$py_pid" || fail "the Python head-end: $(cat py.err)"
kill -TERM "$gw_pid" 2> /dev/null || true
wait "$gw_pid" 2> /dev/null || true
r=$(cat py.out)
[ "$(echo "$r" | json '(d["gateway"], d["daily_meters"], d["topology_meters"], d["results"]["py-trip"]["json"]["verified"], d["user_id_ok"], d["location"] == [30.5, 120.25], d["gateway_errors"][:2], d["results"]["py-bad"]["status"])')" = \
  "('gw1', 20, 20, True, True, True, [-90, -92], -91)" ] || fail "Python head-end: $r"
grep -q "refused a message: .* bytes that are not an Envelope" gw6.err || fail "the gateway did not log the garbage"
echo "ok: a Python head-end from the .proto alone: 20 daily freezes, a topology and a trip; its garbage, version 2 and a tariff of rate 9 refused by the gateway"
