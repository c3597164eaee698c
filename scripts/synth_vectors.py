#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The test vectors of f(Ku) (docs/formats.md "Synthetic credentials"),
computed from the page's text alone with Python's hmac module: RFC 5869
HKDF written out here, so that lib/auth/synth.c (OpenSSL's EVP_KDF) is
checked against a second implementation, never against its own output.
Run: python3 scripts/synth_vectors.py > vectors/synth.json"""
import hashlib, hmac, json

SALT = b"openmcim f(Ku) v1"
B32 = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def hkdf(ikm, name, length):
    prk = hmac.new(SALT, ikm, hashlib.sha256).digest()
    info = b"openmcim f(Ku) " + name.encode()
    out, t, i = b"", b"", 1
    while len(out) < length:
        t = hmac.new(prk, t + info + bytes([i]), hashlib.sha256).digest()
        out += t
        i += 1
    return out[:length]


def label(ku):
    n = int.from_bytes(ku, "big") << 2  # 130 bits, the last 2 zero
    chars = "".join(B32[(n >> (5 * (25 - i))) & 31] for i in range(26))
    return "-".join(chars[i:i + 4] for i in range(0, 26, 4))


def f(ku, mcc, mnc, msin_first, count):
    width, first = len(msin_first), int(msin_first)
    words = hkdf(ku, "MSIN", 128)
    rem = (1 << 64) % count
    for j in range(16):
        w = int.from_bytes(words[8 * j:8 * j + 8], "big")
        if w < (1 << 64) - rem:
            msin, word = first + w % count, j
            break
    return {
        "ku": ku.hex(), "ku_label": label(ku),
        "mcc": mcc, "mnc": mnc, "msin_first": msin_first, "count": str(count),
        "imsi": mcc + mnc + str(msin).zfill(width), "msin_word": word,
        "k": hkdf(ku, "K", 16).hex(), "opc": hkdf(ku, "OPc", 16).hex(),
        "verifier": hkdf(ku, "verifier", 16).hex(),
    }


# a count just above 2^63 rejects about half the words: shows the rejection rule
ku_fixed = [bytes(16), bytes(range(16)), bytes.fromhex("ffffffffffffffffffffffffffffffff"),
            hashlib.sha256(b"openmcim synth vector 4").digest()[:16]]
cases = [f(ku_fixed[0], "001", "01", "0000000000", 10000000000),
         f(ku_fixed[1], "001", "01", "9000000000", 1000),
         f(ku_fixed[2], "310", "410", "000000000", 1),
         f(ku_fixed[3], "999", "99", "5000000000", 5000000000)]
# find a Ku whose first MSIN word is rejected for count = 2^63 + 1 (1 word in 2 rejected)
for n in range(1000):
    ku = hashlib.sha256(b"openmcim synth reject %d" % n).digest()[:16]
    words = hkdf(ku, "MSIN", 16)
    if int.from_bytes(words[:8], "big") >= (1 << 64) - (1 << 64) % ((1 << 63) + 1):
        break
big = {"ku": ku.hex(), "count": str((1 << 63) + 1)}
words = hkdf(ku, "MSIN", 128)
rem = (1 << 64) % int(big["count"])
for j in range(16):
    w = int.from_bytes(words[8 * j:8 * j + 8], "big")
    if w < (1 << 64) - rem:
        big.update(msin_word=j, msin_offset=str(w % int(big["count"])))
        break
print(json.dumps({"about": "f(Ku) of docs/formats.md, computed by scripts/synth_vectors.py (Python hmac, not the code under test)",
                  "synthetic_f": {"vectors": cases, "rejection": [big]}}, indent=1))
