#!/usr/bin/env python3
"""Writes the firmware image of vectors/oracle/fw_image.txt (made with python3-cryptography)
and prints its signature and the public key it checks under, one line: SIG PUB.
  fw_image_vector.py VECTOR-FILE IMAGE-OUT"""
import sys

v = {}
for line in open(sys.argv[1]):
    f = line.split()
    if f and not f[0].startswith("#") and f[0] != "sha256":
        v[f[0]] = f[1]
open(sys.argv[2], "wb").write(bytes((7 * i + 3) % 251 for i in range(3000)))
print(v["sig"], v["pub"])
