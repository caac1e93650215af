#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) and runs each for a while.
#   scripts/fuzz.sh [seconds per target]   (default 60; CI runs it from scripts/test.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
out=build-fuzz
mkdir -p "$out/corpus_dlt645"
flags=(-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -Imeter)
clang "${flags[@]}" fuzz/fuzz_dlt645.c meter/plc_dlt645.c meter/plc_dlt645_profile.c -o "$out/fuzz_dlt645"
# seeds: the public example frames
i=0
while read -r line; do
  [ -n "$line" ] || continue
  printf '%b' "$(echo "$line" | sed 's/../\\x&/g')" > "$out/corpus_dlt645/seed$i"
  i=$((i + 1))
done < fuzz/dlt645_seeds.txt
"$out/fuzz_dlt645" -max_total_time="$secs" -max_len=600 -print_final_stats=1 \
  "$out/corpus_dlt645" 2>&1 | tail -n 12

# the file parsers (topology, PER table, sample files); seeds: files of each kind with the
# selector byte in front (0 topology, 1 PER table, 4 WAV)
mkdir -p "$out/corpus_files"
clang "${flags[@]}" -Isim -Iphy -Ihal -Icommon fuzz/fuzz_files.c sim/plc_topology.c \
  sim/plc_pertable.c hal/plc_samplefile.c phy/plc_phy_params.c common/plc_rng.c -lm \
  -o "$out/fuzz_files"
{ printf '\x00'; cat docs/examples/feeder.topo; } > "$out/corpus_files/feeder_topo"
{ printf '\x01'; head -c 4000 docs/per/per_awgn.dat; } > "$out/corpus_files/per_awgn"
# a 400 kHz mono 16-bit WAV of four samples
printf '\x04RIFF\x2c\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x80\x1a\x06\x00%b%b' \
  '\x00\x35\x0c\x00\x02\x00\x10\x00' 'data\x08\x00\x00\x00\x01\x00\xff\x7f\x00\x80\x10\x00' \
  > "$out/corpus_files/wav"
"$out/fuzz_files" -max_total_time="$secs" -max_len=4096 -print_final_stats=1 \
  "$out/corpus_files" 2>&1 | tail -n 12

# the MAC's receive path (frame codec, security, anti-replay, reassembly, commands): a
# script of frames for one secured MAC; seeds: a data frame and a tone map response, FCS
# fixed up by the target (flag bit 0)
mkdir -p "$out/corpus_mac"
clang "${flags[@]}" -Imac -Iphy -Icommon -Icrypto fuzz/fuzz_mac.c mac/plc_mac*.c \
  crypto/plc_aes.c crypto/plc_ccm.c crypto/plc_cmac.c phy/plc_crc.c phy/plc_phy_params.c \
  common/plc_loop.c common/plc_loop_virtual.c common/plc_err.c common/plc_rng.c -lm \
  -o "$out/fuzz_mac"
printf '\x01\x18\x01\x00\x13\x41\xc8\x05\x1d\x78\x00\x00\x05\x00hello meter 12\x00\x00' \
  > "$out/corpus_mac/data"
printf '\x01\x12\x01\x00\x0d\x43\xc8\x06\x1d\x78\x05\x00\x00\x00\x0a\x02\x3f\x60\x00\x00' \
  > "$out/corpus_mac/tonemap"
"$out/fuzz_mac" -max_total_time="$secs" -max_len=2048 -print_final_stats=1 \
  "$out/corpus_mac" 2>&1 | tail -n 12

# the adaptation layer and LOADng (mesh, BC0 and fragment headers, RREQ/RREP/RERR, PREQ/PREP):
# one node fed neighbours' frames; seeds: a fragment behind a mesh header, a RREQ, a PREQ for
# the node (it answers) and a PREP as the decoders see it
mkdir -p "$out/corpus_adp"
clang "${flags[@]}" -Irouting -Imac -Iphy -Icommon -Icrypto fuzz/fuzz_adp.c routing/plc_*.c \
  mac/plc_mac*.c crypto/plc_aes.c crypto/plc_ccm.c crypto/plc_cmac.c crypto/plc_eax.c phy/plc_crc.c \
  phy/plc_phy_params.c common/plc_loop.c common/plc_loop_virtual.c common/plc_err.c \
  common/plc_rng.c -lm -o "$out/fuzz_adp"
printf '\x00\x0e\xb8\x00\x05\x00\x01\xc1\xf4\x00\x09\x41\x42\x43\x44\x45' > "$out/corpus_adp/frag"
printf '\x00\x0e\x40\x01\x00\x00\x01\x00\x05\x01\x02\x0f\x00\x10\x82\x10' > "$out/corpus_adp/rreq"
printf '\x00\x0d\x40\x01\xfc\x00\x01\x00\x00\xf0\x00\x00\x05\x00\x06' > "$out/corpus_adp/preq"
printf '\xfd\x00\x00\x00\x09\xf0\x00\x00\x09\x00\x09\x00\x01' > "$out/corpus_adp/prep"
"$out/fuzz_adp" -max_total_time="$secs" -max_len=2048 -print_final_stats=1 \
  "$out/corpus_adp" 2>&1 | tail -n 12

# the concentrator: its INI configuration (selector 0) and the frames the mesh hands it
# (selector 1: a script of flag, length, frame); seeds: the example configuration and a
# meter's daily freeze answers and a load profile reply
mkdir -p "$out/corpus_gateway"
clang "${flags[@]}" -D_POSIX_C_SOURCE=200809L -Igateway -Imeter -Icommon -Iphy fuzz/fuzz_gateway.c \
  gateway/plc_gw.c gateway/plc_gw_store.c gateway/plc_sql.c gateway/plc_gw_command.c gateway/plc_gw_time.c \
  gateway/plc_gw_config.c meter/plc_dlt645.c meter/plc_dlt645_profile.c common/plc_loop.c common/plc_loop_virtual.c \
  common/plc_err.c phy/plc_crc.c -DPLC_GW_PER_TABLE='"per.dat"' -lsqlite3 -linih -o "$out/fuzz_gateway"
{ printf '\x00'; cat gateway/etc/plc-gatewayd.ini; } > "$out/corpus_gateway/ini"
printf '\x01\x02\x15\x68\x01\x00\x00\x00\x00\x00\x68\x91\x09\x34\x33\x39\x38\x33\x33\x35\x34\x59\x6b\x16\x00\x24\x68\x01\x00\x00\x00\x00\x00\x68\x91\x18\x34\x34\x39\x38\x89\x67\x45\x33\x89\x67\x45\x33\x89\x67\x45\x33\x89\x67\x45\x33\x89\x67\x45\x33\x5b\x16' \
  > "$out/corpus_gateway/freeze"
# a meter's load profile reply: one record, of the slot's time (06:00)
printf '\x02\x31\x68\x01\x00\x00\x00\x00\x00\x68\x91\x25\x34\x33\x33\x39\xd3\xd3\x4f\x33\x39\x35\x34\x59\x34\x55\x32\x32\x32\x32\x67\x45\x33\x32\x32\x32\x32\x32\x32\x33\x83\xdd\xdd\xdd\xdd\xdd\xdd\x69\x18\x3e\x16' \
  > "$out/corpus_gateway/profile"
"$out/fuzz_gateway" -max_total_time="$secs" -max_len=2048 -print_final_stats=1 \
  "$out/corpus_gateway" 2>&1 | tail -n 12

# the node's side of a firmware image transfer (INIT, BLOCK, STATUS, VERIFY, ACTIVATE); seed:
# an INIT of a 200-byte image in 100-byte blocks, its two blocks (CRC-16 XMODEM), VERIFY
mkdir -p "$out/corpus_fw_image"
clang "${flags[@]}" -Icrypto -Iphy -Icommon fuzz/fuzz_fw_image.c meter/plc_fw_image.c \
  crypto/plc_sha256.c phy/plc_crc.c common/plc_loop.c common/plc_loop_virtual.c common/plc_err.c \
  -o "$out/fuzz_fw_image"
python3 - "$out/corpus_fw_image/seed" <<'PY'
import sys
def crc16(d):
    c = 0
    for b in d:
        c ^= b << 8
        for _ in range(8):
            c = (c << 1) ^ 0x1021 if c & 0x8000 else c << 1
            c &= 0xFFFF
    return c
img = bytes(range(200))
init = bytes([1, 0, 0, 0, 7, 0, 0, 0, 200, 0, 100]) + bytes(64)
recs = [init]
for n in range(2):
    d = img[100 * n:100 * n + 100]
    c = crc16(d)
    recs.append(bytes([2, 0, n, c >> 8, c & 0xFF]) + d)
recs += [b"\x03", b"\x04", b"\x05\x00\x00\x00\x05"]
open(sys.argv[1], "wb").write(b"".join(bytes([len(r)]) + r for r in recs))
PY
"$out/fuzz_fw_image" -max_total_time="$secs" -max_len=2048 -print_final_stats=1 \
  "$out/corpus_fw_image" 2>&1 | tail -n 12

# the upstream link's unpack and validation (both ends) and the GNSS receiver's NMEA; seeds:
# a login, a batch of a reading and an event, and a command, encoded by protoc from text, and
# two NMEA sentences
mkdir -p "$out/corpus_upstream" "$out/proto"
protoc-c --proto_path=gateway/proto --c_out="$out/proto" gateway/proto/plc_upstream.proto
clang "${flags[@]}" -Igateway -Icommon -I"$out/proto" fuzz/fuzz_upstream.c gateway/plc_up_msg.c \
  gateway/plc_gw_nmea.c "$out/proto/plc_upstream.pb-c.c" common/plc_err.c -lprotobuf-c \
  -o "$out/fuzz_upstream"
printf '$BDGGA,041500.00,3113.824,N,12128.422,E,1,12,0.8,4.5,M,0.0,M,,*45\r\n$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A\r\n' \
  > "$out/corpus_upstream/nmea"
enc() { protoc --proto_path=gateway/proto --encode=plc.upstream.Envelope plc_upstream.proto; }
echo 'version: 1 login { gateway_id: "gw1" software: "s" meters: 20 epoch: 7 clock_ms: 1
  location { latitude: 31.2 longitude: 121.4 source: "gnss" } }' | enc > "$out/corpus_upstream/login"
echo 'version: 1 batch { epoch: 7 after: 0 last: 2 reading { seq: 1 meter: "000000000001"
  di: 84279553 ts: 1767312000 value: "1234.56" read_at: 1767312300 } event { seq: 2
  ts: 1767312001 kind: "power-down" meter: "000000000001" detail: "last gasp" } }' |
  enc > "$out/corpus_upstream/batch"
echo 'version: 1 command { id: "c1" kind: ARCHIVE_ADD entry { meter: "000000000099"
  eui: 1 psk: "0123456789abcdef" } }' | enc > "$out/corpus_upstream/command"
"$out/fuzz_upstream" -max_total_time="$secs" -max_len=4096 -print_final_stats=1 \
  "$out/corpus_upstream" 2>&1 | tail -n 12
