#!/bin/sh
# The README's main job (scripts/demo.sh) on this build's tools: it runs to the end (exit 0)
# and shows what it should: the 50 meters' daily freezes at the head-end, the trip and the
# top-up done, the replayed top-up answered from the log, nothing left in the outbox.
set -eu
TOOLS="$1"
SRC="$2"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
PLC_DEMO_TOOLS="$TOOLS" timeout 600 bash "$SRC/scripts/demo.sh" > "$out" 2>&1 || {
    tail -20 "$out"
    echo "FAIL: scripts/demo.sh exited $?"
    exit 1
}
check() {
    grep -q "$1" "$out" || { tail -30 "$out"; echo "FAIL: the demo's output lacks: $1"; exit 1; }
}
check 'daily freeze from 50 meters (100.0%)'
check '"id":"trip-0007".*"status":"done".*"repeated":false.*"verified":true'
check '"id":"topup-0009-1".*"status":"done".*"repeated":false'
check '"id":"topup-0009-1".*"status":"done".*"repeated":true'
check "the concentrator's outbox after the night: 0 waiting"
echo "ok: the main job end to end"
