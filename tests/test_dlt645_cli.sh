#!/usr/bin/env bash
# plc-dlt645: decode prints the named fields, encode gives the spec's bytes, invalid frames
# exit non-zero with the error named.
set -u
d="$1"
fail() { echo "FAIL: $*"; exit 1; }
out=$("$d" decode 68 12 90 78 56 34 12 68 91 08 33 33 34 33 89 67 45 33 54 16) || fail "decode reply"
for want in '"address":"123456789012"' '"control":"0x91"' '"direction":"reply"' '"abnormal":false' \
            '"di":"00010000"' '"value":1234.56' '"unit":"kWh"'; do
  echo "$out" | grep -q "$want" || fail "decode reply: no $want in $out"
done
out=$("$d" decode "68 12 90 78 56 34 12 68 D1 01 35 8D 16") || fail "decode abnormal"
echo "$out" | grep -q '"abnormal":true' || fail "abnormal flag: $out"
echo "$out" | grep -q '"no requested data"' || fail "abnormal error: $out"
[ "$("$d" encode read --addr 123456789012 --di 00010000 --preamble 0)" = \
  "68 12 90 78 56 34 12 68 11 04 33 33 34 33 68 16" ] || fail "encode read"
[ "$("$d" encode read-address)" = "FE FE FE FE 68 AA AA AA AA AA AA 68 13 00 DF 16" ] || fail "encode read-address"
[ "$("$d" encode read-followup --addr 123456789012 --di 03300001 --seq 1 --preamble 0)" = \
  "68 12 90 78 56 34 12 68 12 05 34 33 63 36 34 D1 16" ] || fail "encode read-followup"
# encoder outputs decode back
hex=$("$d" encode time-sync --time "2026-11-21 12:00:00") || fail "encode time-sync"
"$d" decode "$hex" | grep -q '"value":"2026-11-21 12:00:00"' || fail "time-sync round trip"
hex=$("$d" encode write --addr 000000000042 --di 00900200 --value 50.00) || fail "encode write"
"$d" decode "$hex" | grep -q '"value":50.00' || fail "write round trip"
hex=$("$d" encode relay --addr 000000000042 --action keep --until "2026-12-01 00:00:00") || fail "encode relay"
"$d" decode "$hex" | grep -q '"function":"relay control"' || fail "relay round trip"
# invalid frames: exit 1, error named
out=$("$d" decode 68 12 90 78 56 34 12 68 91 08 33 33 34 33 89 67 45 33 55 16) && fail "bad checksum accepted"
echo "$out" | grep -q '"error":"bad checksum"' || fail "bad checksum not named: $out"
out=$("$d" decode 68 12 90 78 56 34 12 68 91 08 33 33 34 33 89 67 45 33 54 17) && fail "bad end accepted"
echo "$out" | grep -q 'missing 0x16' || fail "missing 16 not named: $out"
out=$("$d" decode 68 12 90 78 56 34 12 68 91 08 33 33) && fail "truncated accepted"
echo "$out" | grep -q 'truncated' || fail "truncated not named: $out"
out=$("$d" decode 68 1G) && fail "non-hex accepted"
"$d" encode read --addr 12345 --di 00010000 2>/dev/null && fail "short address accepted"
"$d" encode write --addr 000000000042 --di 12345678 --value 1 >/dev/null && fail "unknown DI written"
echo "plc-dlt645 CLI ok"
