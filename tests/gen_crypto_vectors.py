#!/usr/bin/env python3
"""Random CCM* and AES-CMAC cases computed by python3-cryptography (an independent
implementation), one per line, for tests/test_crypto.c:
  ccm KEY NONCE ADATA PLAIN TAGLEN CIPHERTEXT||TAG      (hex; '-' for empty)
  cmac KEY MSG MAC
Seeded, so the file is reproducible: tests/test_crypto_oracle.sh regenerates it and checks
it equals vectors/oracle/crypto.txt before the C test reads it."""
import random
import sys

from cryptography.hazmat.primitives.ciphers.aead import AESCCM
from cryptography.hazmat.primitives.cmac import CMAC
from cryptography.hazmat.primitives.ciphers import algorithms


def h(b):
    return b.hex() if b else "-"


def main():
    rng = random.Random(4764)
    out = []
    for i in range(120):
        key = bytes(rng.randrange(256) for _ in range(16))
        nlen = rng.choice([7, 8, 10, 12, 13])
        tlen = rng.choice([4, 6, 8, 10, 12, 14, 16])
        alen = rng.choice([0, 1, 15, 16, 17, 31, 40, 100])
        plen = rng.choice([0, 1, 15, 16, 17, 33, 64, 127, 200])
        nonce = bytes(rng.randrange(256) for _ in range(nlen))
        adata = bytes(rng.randrange(256) for _ in range(alen))
        plain = bytes(rng.randrange(256) for _ in range(plen))
        ct = AESCCM(key, tag_length=tlen).encrypt(nonce, plain, adata)
        out.append(f"ccm {h(key)} {h(nonce)} {h(adata)} {h(plain)} {tlen} {h(ct)}")
    for i in range(60):
        key = bytes(rng.randrange(256) for _ in range(16))
        msg = bytes(rng.randrange(256) for _ in range(rng.choice([0, 1, 15, 16, 17, 32, 33, 64, 100])))
        c = CMAC(algorithms.AES(key))
        c.update(msg)
        out.append(f"cmac {h(key)} {h(msg)} {h(c.finalize())}")
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
