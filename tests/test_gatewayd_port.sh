#!/bin/sh
# plc-gatewayd with [plc] mode = port: the concentrator's modem (MAC, adaptation layer,
# LOADng, LBP server) on the waveform PHY through the SDR front end and the SoapySDR
# backend, in real time, and a plc-meter process (a simulated DL/T 645 meter behind the
# device stack) on the same line: the test's loopback SoapySDR device with its line in a
# shared file, so the two processes hear each other. The meter joins (EAP-PSK with the PSK
# of the archive), announces itself, the energy task reads it and the reading is stored;
# the path survey finds its way back straight to the concentrator; both exit 0 on SIGTERM. Then a firmware image goes to it through the command log: its
# blocks land in the meter's image store, its signature checks under the meter's key, and
# the meter switches to it. Bad configuration: mode = port without soapy, a device that is
# not there; plc-meter's bad arguments.
#   test_gatewayd_port.sh PLC-GATEWAYD PLC-GATEWAY PLC-METER LOOPBACK-MODULE-DIR SOURCE-DIR ECDSA
# ECDSA 1: the build checks signatures (mbedTLS); 0: plc-meter must refuse an image store.
set -eu
GWD="$1"
GW="$2"
METER="$3"
export SOAPY_SDR_PLUGIN_PATH="$4"
SRC="$5"
ECDSA="$6"
w=$(mktemp -d)
gpid=
mpid=
trap '[ -n "$gpid" ] && kill -9 "$gpid" 2>/dev/null; [ -n "$mpid" ] && kill -9 "$mpid" 2>/dev/null; rm -rf "$w"' EXIT
fail() { echo "FAIL: $1"; for f in "$w"/*.err "$w"/*.json; do [ -f "$f" ] && { echo "--- $f"; cat "$f"; }; done; exit 1; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }
EUI=70B3D50000000001
PSK=00112233445566778899AABBCCDDEEFF
line="driver=plcstack_loopback,share=$w/line"

# the image and its signature from the independent vector (python3-cryptography made them)
read -r SIG KEY <<VEC
$(python3 "$SRC/tests/fw_image_vector.py" "$SRC/vectors/oracle/fw_image.txt" "$w/fw.bin")
VEC
printf '[firmware]\nimage = %s\nsignature = %s\nid = 7\nblock = 200\n' "$w/fw.bin" "$SIG" > "$w/fw.part"

cat > "$w/gw.ini" <<CONF
[gateway]
store = $w/gw.db
clock = now
[plc]
mode = port
soapy = $line,node=gw
path_survey_s = 5
[archive]
sim_meters = 0
[time]
sync = 0
[task energy]
scheme = energy
interval_s = 60
window = 00:00-24:00
CONF

# bad configuration: one line naming what is wrong
printf '[plc]\nmode = port\n' > "$w/bad.ini"
out=$("$GWD" -c "$w/bad.ini" 2>&1) && fail "mode = port without soapy was accepted"
echo "$out" | grep -q "\[plc\] soapy: missing" || fail "unclear message: $out"
printf '[gateway]\nstore = %s/bad.db\n[plc]\nmode = port\nsoapy = driver=nosuchsdr\n' "$w" > "$w/bad.ini"
out=$("$GWD" -c "$w/bad.ini" 2>&1) && fail "a device that is not there was accepted"
echo "$out" | grep -q "no SoapySDR device found" || fail "unclear message: $out"

# plc-meter's bad arguments: one line each, exit 2
if "$METER" --soapy "$line,node=x" --addr 12 --eui $EUI --psk $PSK 2> "$w/err"; then fail "plc-meter took a bad address"; fi
grep -q "meter address of 12 digits" "$w/err" || fail "plc-meter: $(cat "$w/err")"
if "$METER" --soapy "$line,node=x" --addr 000000000001 --eui $EUI --psk 0011 2> "$w/err"; then fail "plc-meter took a short PSK"; fi
grep -q "\-\-psk must be 32 hex digits" "$w/err" || fail "plc-meter: $(cat "$w/err")"
if "$METER" --addr 000000000001 --eui $EUI --psk $PSK 2> "$w/err"; then fail "plc-meter ran without a port"; fi
grep -q "a port is needed" "$w/err" || fail "plc-meter: $(cat "$w/err")"

if "$METER" --soapy "$line,node=x" --addr 000000000001 --eui $EUI --psk $PSK --image-store "$w/x" 2> "$w/err"; then fail "plc-meter took a store without a key"; fi
grep -q "go together" "$w/err" || fail "plc-meter: $(cat "$w/err")"
if [ "$ECDSA" = 1 ]; then
    cat "$w/fw.part" >> "$w/gw.ini"
    IMAGE="--image-store $w/bank.bin --image-key $KEY"
else
    if "$METER" --soapy "$line,node=x" --addr 000000000001 --eui $EUI --psk $PSK --image-store "$w/x" --image-key "$KEY" 2> "$w/err"; then fail "plc-meter took an image store without ECDSA"; fi
    grep -q "this build has no ECDSA" "$w/err" || fail "plc-meter: $(cat "$w/err")"
    echo "plc-meter: this build has no ECDSA, and says so"
    IMAGE=
fi

# the archive: the meter with its modem's EUI-64 and PSK (the store is made here)
"$GW" -s "$w/gw.db" archive-add 000000000001 --eui $EUI --psk $PSK || fail "archive-add"

"$GWD" -c "$w/gw.ini" > "$w/gwd.json" 2> "$w/gwd.err" &
gpid=$!
sleep 1
# shellcheck disable=SC2086
"$METER" --soapy "$line,node=m1" --addr 000000000001 --eui $EUI --psk $PSK $IMAGE \
    > "$w/meter.json" 2> "$w/meter.err" &
mpid=$!

# within 60 s: joined, announced, read, stored
got=
for i in $(seq 1 60); do
    sleep 1
    r=$("$GW" -s "$w/gw.db" readings 2>/dev/null || true)
    if echo "$r" | grep -q '"di":"00010000"'; then got=$r; break; fi
done
[ -n "$got" ] || fail "no reading stored within 60 s"
if [ "$ECDSA" = 1 ]; then
    # 15 blocks of 200 bytes, one each 1.5 s, then STATUS, VERIFY and ACTIVATE in 5 s
    "$GW" -s "$w/gw.db" command fw-7 000000000001 firmware 5 --wait 0 > /dev/null || fail "firmware: command"
    st=
    for i in $(seq 1 90); do
        sleep 1
        st=$("$GW" -s "$w/gw.db" commands | json '[c["status"] for c in d if c["id"]=="fw-7"][0]')
        [ "$st" = done ] && grep -q "switched to firmware image 7" "$w/meter.err" && break
    done
    [ "$st" = done ] || fail "firmware: $("$GW" -s "$w/gw.db" commands)"
    grep -q "switched to firmware image 7" "$w/meter.err" || fail "firmware: the meter did not switch"
    cmp -n 3000 "$w/fw.bin" "$w/bank.bin" || fail "firmware: the meter's store differs from the image"
    echo "firmware: 15 blocks to the plc-meter over the SDR line, signature checked, switched"
fi
# the path survey (every 5 s here) finds the meter's way back: its parent is the concentrator
for i in $(seq 1 30); do
    [ "$("$GW" -s "$w/gw.db" topology 2>/dev/null | json 'd[0]["parent"]' 2>/dev/null)" = 0 ] && break
    sleep 1
done
kill -TERM "$mpid"; wait "$mpid" || fail "plc-meter did not exit 0 (announced) on SIGTERM"
mpid=
kill -TERM "$gpid"; wait "$gpid" || fail "plc-gatewayd did not exit 0 on SIGTERM"
gpid=

grep -q "joined, short address 0x0001" "$w/meter.err" || fail "the meter did not get address 0x0001"
grep -q "acknowledged our announce" "$w/meter.err" || fail "the announce was not acknowledged"
m=$(cat "$w/meter.json")
[ "$(echo "$m" | json 'd["announced"]')" = True ] || fail "meter: not announced"
[ "$(echo "$m" | json 'd["replies"] >= 1 and d["malformed"] == 0 and d["dropped"] == 0')" = True ] || fail "meter: $m"
if [ "$ECDSA" = 1 ]; then
    [ "$(echo "$m" | json 'd["image_running"] == 7 and d["image_blocks"] >= 15 and d["image_refused"] == 0')" = True ] || fail "meter: $m"
fi
g=$(cat "$w/gwd.json")
[ "$(echo "$g" | json 'd["joined"] == 1 and d["stored"] >= 1 and d["bad_frames"] == 0 and d["wrong_address"] == 0')" = True ] \
    || fail "daemon: $g"
# the register starts at 1000.00 kWh and the model's load adds little in a minute
v=$(echo "$got" | python3 -c "import json,sys; r=[x for x in json.load(sys.stdin) if x['di']=='00010000']; print(r[0]['meter'], r[0]['value'])")
echo "$v" | python3 -c "import sys; a,v=sys.stdin.read().split(); assert a=='000000000001' and 1000.0 <= float(v) < 1000.2, (a,v)" \
    || fail "reading: $v"
m2=$("$GW" -s "$w/gw.db" meters)
[ "$(echo "$m2" | json 'd[0]["short_addr"] == 1 and d[0]["hops"] == 1')" = True ] || fail "meters: $m2"
# the path survey over the real modem: the meter's way back is straight to the concentrator
[ "$(echo "$g" | json 'd["paths"]["complete"] >= 1')" = True ] || fail "path survey: $g"
t=$("$GW" -s "$w/gw.db" topology)
[ "$(echo "$t" | json 'd[0]["parent"]')" = 0 ] || fail "topology: $t"
echo "ok: a plc-meter process joined the port-mode daemon over the SDR line and was read ($v kWh)"
