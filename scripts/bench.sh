#!/usr/bin/env bash
# Builds the optimised flavour and runs the benchmarks (peers in the same run).
# The PER curves take longer: scripts/per.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh release >/dev/null
build/bench/bench_coding "${1:-1.0}"
build/bench/bench_modem
build/bench/bench_sim
build/bench/bench_mac
