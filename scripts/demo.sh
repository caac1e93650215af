#!/usr/bin/env bash
# The main job: builds the project and runs the coding-chain demo (encode a PSDU, damage
# it on purpose, decode, show what each stage repaired). Arguments go to plc-codec-demo.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh release >/dev/null
exec build/tools/plc-codec-demo "$@"
