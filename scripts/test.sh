#!/usr/bin/env bash
# Builds with AddressSanitizer + UBSan and warnings as errors, then runs every test; then
# runs them again in the firmware configuration on the host (portable FFT and crypto, no
# SIMD), then on the target itself (scripts/firmware.sh: QEMU, Cortex-M4F).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh ci
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir build-ci --output-on-failure -j "$(nproc 2>/dev/null || echo 2)"
scripts/build.sh portable
ctest --test-dir build-portable --output-on-failure -j "$(nproc 2>/dev/null || echo 2)"
# the firmware: the core built for the Cortex-M4F and its tests run on the emulated board
# (QEMU mps2-an386); the figures in docs/firmware.md come from this run
scripts/firmware.sh
# libFuzzer, 38 s each: the DL/T 645 decoder, the file parsers, the MAC receive path, the
# adaptation layer and LOADng, the concentrator's inputs, the node's firmware image transfer,
# the upstream messages and NMEA: no crash, leak or sanitizer report
unset ASAN_OPTIONS LSAN_OPTIONS
scripts/fuzz.sh 38
