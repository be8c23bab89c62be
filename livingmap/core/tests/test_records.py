"""The record schema's cleaners: what a value must be to be used, and how it is cleaned."""

from __future__ import annotations

import pytest

from livingmap.core.records import (
    UnusableValue,
    clean_charity_number,
    clean_email,
    clean_url,
    digits_cleaner,
)


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("https://www.example.org/a?b=c", "https://www.example.org/a?b=c"),
        ("www.example.org", "https://www.example.org"),  # as the site's forms add it
        ("//example.org/x", "https://example.org/x"),
        ("example.org:8080/x", "https://example.org:8080/x"),
        ("https://www.instagram.com/@group", "https://www.instagram.com/@group"),
    ],
)
def test_a_web_address_is_kept_with_its_scheme(given, kept):
    assert clean_url(given) == kept
    assert clean_url(kept) == kept  # a clean value passes unchanged


@pytest.mark.parametrize(
    ("given", "why"),
    [
        ("see our Facebook page", "is not a web address"),
        ("javascript:alert(1)", "is not an http or https address"),
        ("ftp://files.example.org", "is not an http or https address"),
        ("https://http//:www.example.org", "is not a web address"),
        ("https://trusted.example.org@elsewhere.example", "names a user before its host"),
        ("C:\\Users\\me\\site.html", "is not an http or https address"),
    ],
)
def test_a_value_that_is_not_a_web_address_is_refused_with_why(given, why):
    with pytest.raises(UnusableValue, match=why):
        clean_url(given)


def test_email_addresses_as_registers_write_them():
    assert clean_email("mailto:hello@example.org") == "hello@example.org"
    assert clean_email("<hello@example.org>") == "hello@example.org"
    for bad in ("hello at example dot org", "hello@example", "a@@example.org", "a..b@example.org"):
        with pytest.raises(UnusableValue, match="is not an email address"):
            clean_email(bad)


def test_register_numbers():
    uprn = digits_cleaner("UPRN", 12)
    assert uprn("100012345678") == "100012345678"
    assert uprn("100012345678.0") == "100012345678"  # a spreadsheet's number
    for bad in ("1000123456789", "12-34", "1.00012E+11"):
        with pytest.raises(UnusableValue, match="UPRN"):
            uprn(bad)
    assert clean_charity_number("1123456") == "1123456"
    assert clean_charity_number("1123456-1") == "1123456-1"
    assert clean_charity_number("sc012345") == "SC012345"
    with pytest.raises(UnusableValue, match="charity number"):
        clean_charity_number("not registered")
