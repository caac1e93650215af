#!/usr/bin/env bash
# Builds with AddressSanitizer + UBSan and warnings as errors, then runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh ci
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir build-ci --output-on-failure -j "$(nproc 2>/dev/null || echo 2)"
