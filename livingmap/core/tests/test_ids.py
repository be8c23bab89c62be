"""Time-ordered UUIDs (version 7, RFC 9562) for new records."""

from __future__ import annotations

import time
import uuid

from livingmap.core.ids import uuid7, uuid7_hex_many, uuid7_many


def test_a_uuid7_has_version_7_the_rfc_variant_and_the_time_in_milliseconds():
    before = time.time_ns() // 1_000_000
    value = uuid7()
    after = time.time_ns() // 1_000_000
    assert value.version == 7
    assert value.variant == uuid.RFC_4122
    assert before <= value.int >> 80 <= after


def test_many_at_once_are_unique_increasing_and_random_after_the_time():
    values = uuid7_many(5000)
    assert values == sorted(values)
    assert len(set(values)) == 5000
    assert {v.version for v in values} == {7}
    # 74 random bits: the 12 after the version (5,000 draws of 4,096 values give about 2,900
    # different ones) and the 62 after the variant both vary.
    assert len({(v.int >> 64) & 0xFFF for v in values}) > 2500
    assert len({v.int & ((1 << 62) - 1) for v in values}) == 5000


def test_later_uuids_sort_after_earlier_ones():
    first = uuid7()
    time.sleep(0.002)
    assert uuid7_many(3)[0] > first


def test_hex_form_is_how_django_stores_a_uuid_without_a_native_type():
    texts = uuid7_hex_many(100)
    assert texts == sorted(texts)
    for text in texts:
        assert len(text) == 32
        assert uuid.UUID(text).hex == text
        assert uuid.UUID(text).version == 7


def test_many_in_hex_carry_the_time_and_74_random_bits():
    before = time.time_ns() // 1_000_000
    values = [uuid.UUID(t) for t in uuid7_hex_many(5000)]
    after = time.time_ns() // 1_000_000
    assert all(before <= v.int >> 80 <= after for v in values)
    assert {v.variant for v in values} == {uuid.RFC_4122} and {v.version for v in values} == {7}
    assert len({(v.int >> 64) & 0xFFF for v in values}) > 2500
    assert len({v.int & ((1 << 62) - 1) for v in values}) == 5000
    assert uuid7_hex_many(0) == []
