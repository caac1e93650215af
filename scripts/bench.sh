#!/usr/bin/env bash
# Builds the optimised flavour and runs the benchmarks (peers in the same run).
# The PER curves take longer: scripts/per.sh; PLC_BENCH_LARGE=1 adds the 1000-meter area.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh release >/dev/null
build/bench/bench_coding "${1:-1.0}"
build/bench/bench_modem
build/bench/bench_sim
build/bench/bench_mac
build/bench/bench_loop
# the mesh and the concentrator (abstract PHY); the 1000-meter runs take minutes
build/bench/bench_mesh 100 5 1 "" 300
build/bench/bench_mesh 200 5 1 "" 300
build/bench/bench_gateway 100 1
build/bench/bench_gateway 200 1
if [ "${PLC_BENCH_LARGE:-0}" = 1 ]; then
  build/bench/bench_mesh 1000 5 1
  build/bench/bench_gateway 1000 1
fi
