#!/bin/sh
# vectors/oracle/crypto.txt is what python3-cryptography computes (tests/gen_crypto_vectors.py):
# regenerate it and compare, so the committed file stays the oracle's, not ours.
set -eu
SRC="$1"
python3 -c 'import cryptography' 2>/dev/null || { echo "python3-cryptography missing: run scripts/setup.sh"; exit 1; }
python3 "$SRC/tests/gen_crypto_vectors.py" | cmp - "$SRC/vectors/oracle/crypto.txt"
echo "crypto oracle vectors: identical to python3-cryptography's"
