#!/usr/bin/env bash
# Configures and builds one flavour of the project.
#   scripts/build.sh release   -> build/       (optimised; tools and benchmarks)
#   scripts/build.sh ci        -> build-ci/    (AddressSanitizer + UBSan, warnings as errors)
#   scripts/build.sh portable  -> build-portable/ (the firmware configuration: portable FFT
#                                 instead of FFTW, portable crypto instead of mbedTLS, no SIMD kernels, warnings as errors)
set -euo pipefail
cd "$(dirname "$0")/.."
flavour=${1:-release}
jobs=$(nproc 2>/dev/null || echo 2)
case "$flavour" in
  release) dir=build; opts=(-DCMAKE_BUILD_TYPE=Release) ;;
  ci) dir=build-ci; opts=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DPLC_WERROR=ON -DPLC_SANITIZE=ON) ;;
  portable) dir=build-portable; opts=(-DCMAKE_BUILD_TYPE=Release -DPLC_WERROR=ON -DPLC_FFT=portable -DPLC_CRYPTO=portable -DPLC_SIMD=OFF -DPLC_BUILD_BENCH=OFF) ;;
  *) echo "usage: scripts/build.sh release|ci|portable" >&2; exit 2 ;;
esac
cmake -S . -B "$dir" "${opts[@]}" >/dev/null
cmake --build "$dir" -j "$jobs"
