"""Postcodes and names as people write them."""

from __future__ import annotations

import pytest

from livingmap.core import text as core_text
from livingmap.core.text import (
    PostcodeError,
    clean_postcode,
    name_tokens,
    names_match,
    normalise_postcode,
    null_if_blank,
    tidy,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("m154ab", "M15 4AB"),
        ("M15 4AB", "M15 4AB"),
        (" m15  4ab ", "M15 4AB"),
        ("M154AB", "M15 4AB"),
        ("m15 4ab", "M15 4AB"),
        ("M 1 5 4 A B", "M15 4AB"),
        ("\tM15\u00a04AB\n", "M15 4AB"),
        ("m320th", "M32 0TH"),
        ("WA14 1AB", "WA14 1AB"),
        ("wa141ab", "WA14 1AB"),
        ("M1 1AE", "M1 1AE"),
        ("sw1a 1aa", "SW1A 1AA"),
        ("W1A 0AX", "W1A 0AX"),
        ("EC1A 1BB", "EC1A 1BB"),
    ],
)
def test_a_postcode_in_any_spacing_and_case_is_normalised(text, expected):
    assert normalise_postcode(text) == expected


@pytest.fixture
def example(monkeypatch):
    """The loaded area's example postcode, as the areas app gives it (these tests have no
    database: livingmap/areas/tests/test_current_area.py checks it on the real data)."""
    monkeypatch.setattr(core_text, "example_postcode", lambda: "M32 0TH")


@pytest.mark.parametrize(
    "text",
    [
        "M15",
        "ABC 123",
        "M15 4AB extra",
        "M15 4A",
        "M15 44B",
        "154AB",
        "M15-4AB",
        "MM15 4AB X",
        "1M5 4AB",
    ],
)
def test_a_malformed_postcode_says_what_a_postcode_looks_like(text, example):
    with pytest.raises(PostcodeError) as caught:
        normalise_postcode(text)
    message = str(caught.value)
    assert "looks like M32 0TH" in message
    assert text.strip() in message


@pytest.mark.parametrize("text", ["", "   ", None])
def test_no_postcode_asks_for_one(text, example):
    with pytest.raises(PostcodeError, match="Enter a postcode, like M32 0TH"):
        normalise_postcode(text)


def test_a_very_long_entry_is_not_echoed_in_full(example):
    with pytest.raises(PostcodeError) as caught:
        normalise_postcode("x" * 5000)
    assert len(str(caught.value)) < 200


def test_without_an_example_the_message_says_only_what_is_wrong(monkeypatch):
    monkeypatch.setattr(core_text, "example_postcode", lambda: "")
    with pytest.raises(PostcodeError, match=r"^'M15' is not a postcode\.$"):
        normalise_postcode("M15")
    with pytest.raises(PostcodeError, match=r"^Enter a postcode\.$"):
        normalise_postcode("")


def test_cleaning_a_postcode_never_asks_for_an_example(monkeypatch):
    def refuse() -> str:
        raise AssertionError("clean_postcode built a message it does not show")

    monkeypatch.setattr(core_text, "example_postcode", refuse)
    assert [clean_postcode(t) for t in ("WA15", "", None, "m154ab")] == ["", "", "", "M15 4AB"]


def test_postcode_error_is_a_value_error():
    assert issubclass(PostcodeError, ValueError)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("m154ab", "M15 4AB"), ("WA15", ""), ("", ""), (None, ""), ("N/A", "")],
)
def test_clean_postcode_keeps_real_postcodes_and_drops_partial_ones(text, expected):
    assert clean_postcode(text) == expected


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("Coppice Library", "Coppice Avenue Library", True),
        ("Altrincham Library", "ALTRINCHAM LIBRARY", True),
        ("St Mary's Church", "St Marys Church", True),
        ("Sale Waterside & Library", "Sale Waterside and Library", True),
        ("Café Nero", "Cafe Nero", True),
        ("Sale Library", "Stretford Library", False),
        ("Urmston Leisure Centre", "Urmston Library", False),
        ("", "Library", False),
        ("The Centre", "Centre", False),
    ],
)
def test_names_match_as_people_would(a, b, same):
    assert names_match(a, b) is same
    assert names_match(b, a) is same


def test_name_tokens_drop_noise_words_and_accents():
    assert name_tokens("The Friends of Stretford Café Ltd") == {"friends", "stretford", "cafe"}


@pytest.mark.parametrize("value", ["NA", "n/a", "NULL", "none", "-", "NaN", "  ", None, ""])
def test_the_many_spellings_of_nothing_are_blank(value):
    assert null_if_blank(value) == ""


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("NA", ""),
        (" n/a ", ""),
        ("-", ""),
        (None, ""),
        ("", ""),
        ("\t \n", ""),
        ("  Sale  Water\u00a0Park \n", "Sale Water Park"),
        ("Nan Jones", "Nan Jones"),
        (12, "12"),
        (53.45, "53.45"),
    ],
)
def test_tidy_makes_a_cell_clean_text_and_blank_spellings_empty(value, expected):
    assert tidy(value) == expected


def test_real_values_are_kept_trimmed():
    assert null_if_blank("  Sale  ") == "Sale"
    assert null_if_blank(0) == ""
    assert null_if_blank(12) == "12"


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("Coppice Library", "Coppice Avenue Library", True),
        ("Sale Library", "Sale Library (Integrated Facility in Sale Waterside)", True),
        ("Hale Library", "Hale Library Site", False),
        ("Lostock Library (In College)", "Former Lostock Library", False),
        ("Broadheath Central FC", "Broadheath Central Football Club", True),
        ("Moss Park Primary School", "Moss Park Primary School PTA", False),
        ("Victoria Park", "Friends of Victoria Park", False),
        ("Lostock Library (In College)", "Lostock College", False),
        ("The Grammar", "Altrincham Grammar School", False),
        ("Moss Park", "Moss Park Junior School", False),
    ],
)
def test_names_match_the_same_asset_but_not_a_separate_body(a, b, same):
    from livingmap.core.text import names_match

    assert names_match(a, b) is same
    assert names_match(b, a) is same
