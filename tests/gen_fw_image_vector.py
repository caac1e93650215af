#!/usr/bin/env python3
"""Writes vectors/oracle/fw_image.txt with python3-cryptography (an independent
implementation): a P-256 key pair (from a fixed private scalar), a 3000-byte test image
(byte i = (7 i + 3) mod 251), its SHA-256 and an ECDSA signature over that digest (r || s),
and the SHA-256 of prefixes of the image of several lengths. ECDSA signatures are randomised:
the file is made once and kept; tests/test_fw_image.c verifies it, it does not regenerate it.
  python3 tests/gen_fw_image_vector.py > vectors/oracle/fw_image.txt"""
import hashlib

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils

key = ec.derive_private_key(0x1B2F5A7C9E0D3F6A8B1C4E7D0A3F6B9C2E5D8A1B4C7E0F3A6D9B2C5E8F1A4D7, ec.SECP256R1())
pub = key.public_key().public_bytes(serialization.Encoding.X962,
                                     serialization.PublicFormat.UncompressedPoint)
image = bytes((7 * i + 3) % 251 for i in range(3000))
digest = hashlib.sha256(image).digest()
der = key.sign(digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))
r, s = utils.decode_dss_signature(der)
print("# made by tests/gen_fw_image_vector.py with python3-cryptography; kept, not regenerated")
print("pub", pub.hex())
print("image_len", len(image))
print("digest", digest.hex())
print("sig", (r.to_bytes(32, "big") + s.to_bytes(32, "big")).hex())
for n in (0, 1, 55, 56, 63, 64, 65, 119, 128, 1000, 3000):
    print("sha256", n, hashlib.sha256(image[:n]).hexdigest())
