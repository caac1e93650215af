#!/usr/bin/env bash
# Regenerates the PER-versus-SNR curves (docs/per/*.dat, including per_sco.dat with clock
# offsets for the simulator), their plots (docs/per/*.svg) and
# prints the SNR at PER 10% / 1% per mode. Takes about 15 minutes on one core; pass a
# smaller --max-frames (e.g. 200) for a quick look.
#   scripts/per.sh [--max-frames N]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh release >/dev/null
mkdir -p docs/per
build/bench/bench_per --out docs/per "$@"
gnuplot -e "dir='docs/per'" bench/per_plot.gp
echo "plots: docs/per/per_awgn.svg docs/per/per_classa.svg"
