#!/usr/bin/env bash
# The firmware build and its runs on the emulated Cortex-M4F (QEMU mps2-an386), and the
# figures of docs/firmware.md, in one go (scripts/test.sh runs it in CI):
#   1. configures build-fw/ with cmake/arm-none-eabi.cmake (only the portable core and the
#      board) and builds it, warnings as errors;
#   2. runs every target test under qemu-system-arm (ctest in build-fw/): any failure on the
#      target fails this script;
#   3. writes the figures (flash and RAM per layer in a linked image, heap after create,
#      peak stack, receiver instructions per second of signal and per frame) into
#      docs/firmware.md between its figure markers, and build-fw/figures.json.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build-fw -DCMAKE_TOOLCHAIN_FILE=cmake/arm-none-eabi.cmake \
  -DCMAKE_BUILD_TYPE=Release -DPLC_WERROR=ON >/dev/null
cmake --build build-fw -j "$jobs"
ctest --test-dir build-fw --output-on-failure -j "$jobs"
python3 - <<'PY'
import json, re, subprocess, collections

log = open("build-fw/Testing/Temporary/LastTest.log").read()  # every test's output
figures = {"rx": [], "heap": {}, "stack": {}, "tests": {}}
for m in re.finditer(r"FIGURE rx (\S+) tonemap=(\S+) signal_s=(\S+) instr=(\d+) instr_per_s=(\d+) "
                     r"instr_per_frame=(\d+) heap_tx=(\d+) heap_rx=(\d+)", log):
    figures["rx"].append({"mode": m[1], "tonemap": m[2], "signal_s": float(m[3]),
                          "instr_per_s": int(m[5]), "instr_per_frame": int(m[6])})
m = re.search(r"FIGURE heap (.*)", log)
if m:
    figures["heap"] = {k: int(v) for k, v in (kv.split("=") for kv in m[1].split())}
m = re.search(r"FIGURE mac_read reads=(\d+) board_ms=(\d+) instr=(\d+) tx_frames=(\d+) retries=(\d+)", log)
if m:
    figures["mac_read"] = {"reads": int(m[1]), "board_ms": int(m[2]), "instr": int(m[3]),
                           "frames": int(m[4]), "retries": int(m[5])}
m = re.search(r"FIGURE ecdsa verify_instr=(\d+)", log)
if m:
    figures["ecdsa_verify_instr"] = int(m[1])
# per program: tests run and the stack peak the runner printed
for chunk in re.split(r"\n\d+/\d+ Test: ", log)[1:]:
    name = chunk.split("\n", 1)[0].strip()
    m = re.search(r"\[==========\] (\d+) test\(s\) run, (\d+) failed; stack peak (\d+) bytes", chunk)
    if m:
        figures["tests"][name] = {"tests": int(m[1]), "failed": int(m[2])}
        figures["stack"][name] = int(m[3])

# flash and RAM per layer, from the linker map of the image that links them all
layers = collections.OrderedDict([("common", "libplc_common.a"), ("crypto", "libplc_crypto_portable.a"),
                                  ("phy", "libplc_phy.a"), ("fft", "libplc_fft_portable.a"),
                                  ("mac", "libplc_mac.a"), ("meter", "libplc_meter.a"),
                                  ("board", "libplc_board.a"), ("newlib", "libc_nano.a|libm.a|libgcc.a")])
sizes = {k: {"text": 0, "data": 0, "bss": 0} for k in layers}
cur = None
for line in open("build-fw/fw/mac_read.map"):
    m = re.match(r"^ (\.\S+)?\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S+)", line)
    if not m:
        m2 = re.match(r"^ (\.\S+)$", line.rstrip())
        cur = m2[1] if m2 else (None if not line.startswith(" ") else cur)
        continue
    sec = m[1] or cur
    size = int(m[3], 16)
    if not sec or size == 0 or int(m[2], 16) == 0 and not sec.startswith(".bss"):
        continue
    kind = "bss" if sec.startswith((".bss", "COMMON")) else "data" if sec.startswith(".data") else \
           "text" if sec.startswith((".text", ".rodata")) else None
    if not kind:
        continue
    for k, pat in layers.items():
        if re.search(pat, m[4]):
            sizes[k][kind] += size
            break
figures["layers"] = sizes
json.dump(figures, open("build-fw/figures.json", "w"), indent=1)

rows = ["| layer | flash (text + rodata) | data | bss | heap after create |", "|---|---|---|---|---|"]
heap = figures["heap"]
heap_of = {"phy": "plc_tx %s + plc_rx %s" % (heap.get("plc_tx", "?"), heap.get("plc_rx", "?")),
           "mac": "plc_mac %s, keys %s" % (heap.get("plc_mac", "?"), heap.get("plc_mac_sec", "?")),
           "meter": "node %s" % heap.get("plc_meter_node", "?")}
for k, v in sizes.items():
    rows.append("| %s | %d | %d | %d | %s |" % (k, v["text"], v["data"], v["bss"], heap_of.get(k, "-")))
rx = ["| mode | signal s | instructions per second of signal | instructions per decoded frame |",
      "|---|---|---|---|"]
for r in figures["rx"]:
    rx.append("| %s (tone map %s) | %.3f | %.1f M | %.2f M |" % (r["mode"], r["tonemap"], r["signal_s"],
              r["instr_per_s"] / 1e6, r["instr_per_frame"] / 1e6))
st = ["| program | tests | peak stack bytes |", "|---|---|---|"]
for k in sorted(figures["stack"]):
    st.append("| %s | %d | %d |" % (k, figures["tests"][k]["tests"], figures["stack"][k]))
mr = figures.get("mac_read", {})
text = "\n".join([
    "Flash and RAM per layer, bytes, as linked into `mac_read.elf` (the image with every "
    "layer: MAC, meter node, PHY, crypto; sections attributed from the linker map, unused "
    "functions removed by `--gc-sections`); heap after create measured on the target "
    "(malloc's count before and after each create):", "", *rows, "",
    "Receiver on the target, four frames per mode through white noise at 12 dB "
    "(`fw_roundtrip`; QEMU instruction counts under `-icount shift=0`, a proxy for cycles: "
    "a real M4 adds flash wait states and stalls):", "", *rx, "",
    "A DL/T 645 read over the secured MAC between two nodes (`fw_mac_read`): %s reads, %s frames, "
    "%s retries, %.1f M instructions." % (mr.get("reads"), mr.get("frames"), mr.get("retries"),
                                         mr.get("instr", 0) / 1e6), "",
    "A firmware image's ECDSA P-256 check on the target (`test_fw_image`: mbedTLS 2.28 from "
    "Debian's source package, its numbers in an 8 KiB static pool, against "
    "python3-cryptography's signature): %.1f M instructions." %
    (figures.get("ecdsa_verify_instr", 0) / 1e6), "",
    "Peak stack per target program (painted at reset, scanned at the end):", "", *st])
doc = open("docs/firmware.md").read()
a, b = "<!-- figures: scripts/firmware.sh -->", "<!-- end of figures -->"
i, j = doc.index(a) + len(a), doc.index(b)
open("docs/firmware.md", "w").write(doc[:i] + "\n" + text + "\n" + doc[j:])
print("firmware figures written to docs/firmware.md and build-fw/figures.json")
PY
