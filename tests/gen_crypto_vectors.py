#!/usr/bin/env python3
"""Random CCM* and AES-CMAC cases computed by python3-cryptography (an independent
implementation), one per line, for tests/test_crypto.c:
  ccm KEY NONCE ADATA PLAIN TAGLEN CIPHERTEXT||TAG      (hex; '-' for empty)
  cmac KEY MSG MAC
  eappsk PSK ID_P ID_S RAND_S RAND_P AK KDK TEK MSK EMSK MAC_P MAC_S   (RFC 4764 sections
      3.1-3.2 written from the RFC with python3-cryptography's AES and CMAC)
Seeded, so the file is reproducible: tests/test_crypto_oracle.sh regenerates it and checks
it equals vectors/oracle/crypto.txt before the C test reads it."""
import random
import sys

from cryptography.hazmat.primitives.ciphers.aead import AESCCM
from cryptography.hazmat.primitives.cmac import CMAC
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


def h(b):
    return b.hex() if b else "-"


def aes(key, block):
    e = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return e.update(block) + e.finalize()


def cmac(key, msg):
    c = CMAC(algorithms.AES(key))
    c.update(msg)
    return c.finalize()


def xor_counter(block, i):
    """block XOR the 128-bit number i (RFC 4764's c_i)."""
    return (int.from_bytes(block, "big") ^ i).to_bytes(16, "big")


def eap_psk(psk, id_p, id_s, rand_s, rand_p):
    c0 = aes(psk, bytes(16))
    ak, kdk = aes(psk, xor_counter(c0, 1)), aes(psk, xor_counter(c0, 2))
    x = aes(kdk, rand_p)
    blocks = [aes(kdk, xor_counter(x, i)) for i in range(1, 10)]
    tek, msk, emsk = blocks[0], b"".join(blocks[1:5]), b"".join(blocks[5:9])
    mac_p = cmac(ak, id_p + id_s + rand_s + rand_p)
    mac_s = cmac(ak, id_s + rand_p)
    return ak, kdk, tek, msk, emsk, mac_p, mac_s


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
    for i in range(20):
        psk, rand_s, rand_p = (bytes(rng.randrange(256) for _ in range(16)) for _ in range(3))
        id_p = bytes(rng.randrange(256) for _ in range(8))  # an EUI-64, as G3 uses it
        id_s = b"plcstack" if i % 2 else bytes(rng.randrange(256) for _ in range(8))
        keys = eap_psk(psk, id_p, id_s, rand_s, rand_p)
        out.append("eappsk " + " ".join(h(b) for b in (psk, id_p, id_s, rand_s, rand_p) + keys))
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
