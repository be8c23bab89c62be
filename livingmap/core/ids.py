"""Identifiers: time-ordered UUIDs (version 7, RFC 9562).

Public records carry a UUID (the asset page's address, the Open Referral id). A version 4 UUID
is random, so every new record lands at a random place in the unique index, and a large import
touches every page of it; a version 7 UUID starts with the time in milliseconds, so new records
go in at the index's end. The other 74 bits are random, so they are no easier to guess.
Python 3.14 has `uuid.uuid7`; this module gives the same on 3.11 to 3.13, and many at once.
"""

from __future__ import annotations

import os
import time
import uuid

import numpy as np

_VERSION_7 = 0x7 << 76
_VARIANT = 0b10 << 62
#: The random bits: rand_a (12 bits, above the variant) and rand_b (62 bits).
_RAND_A = 0xFFF << 64
_RAND_B = (1 << 62) - 1


def _values(n: int) -> list[int]:
    """n version-7 UUIDs as integers, in increasing order (one timestamp, sorted random bits)."""
    stamp = (time.time_ns() // 1_000_000) << 80
    noise = os.urandom(10 * n)
    values = []
    for i in range(0, 10 * n, 10):
        bits = int.from_bytes(noise[i : i + 10], "big")
        values.append(stamp | _VERSION_7 | ((bits << 2) & _RAND_A) | _VARIANT | (bits & _RAND_B))
    values.sort()
    return values


def uuid7() -> uuid.UUID:
    """A new version-7 UUID: its time in milliseconds, then random bits."""
    return uuid.UUID(int=_values(1)[0])


def uuid7_many(n: int) -> list[uuid.UUID]:
    """n new version-7 UUIDs, each greater than the one before (for bulk inserts)."""
    return [uuid.UUID(int=v) for v in _values(n)]


def uuid7_hex_many(n: int) -> list[str]:
    """n new version-7 UUIDs as 32 hexadecimal digits (how Django stores a UUID without a
    native uuid type), in increasing order: made as arrays of 64-bit halves and written out in
    one go, ten times quicker than one integer at a time (a large import makes one per row)."""
    if n <= 0:
        return []
    stamp = np.uint64(time.time_ns() // 1_000_000)
    noise = np.frombuffer(os.urandom(16 * n), dtype=">u8").reshape(n, 2)
    high = (stamp << np.uint64(16)) | np.uint64(0x7000) | (noise[:, 0] & np.uint64(0xFFF))
    low = np.uint64(0b10 << 62) | (noise[:, 1] & np.uint64(_RAND_B))
    order = np.lexsort((low, high))
    halves = np.empty((n, 2), dtype=">u8")
    halves[:, 0], halves[:, 1] = high[order], low[order]
    text = halves.tobytes().hex()
    return [text[i : i + 32] for i in range(0, 32 * n, 32)]
