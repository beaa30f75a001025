"""Phone normalisation, on the written forms ads use (PTS fiction ranges only)."""
import pytest

from parsers.phones import normalise_phone


@pytest.mark.parametrize(
    "text, expected",
    [
        ("070-174 06 05", "+46701740605"),
        ("+46 70 174 06 05", "+46701740605"),
        ("0701740605", "+46701740605"),
        ("070 174 06 99", "+46701740699"),
        ("+46701740650", "+46701740650"),
        ("0046 70-1740605", "+46701740605"),
        ("Ring mig: 070-174 06 10!", "+46701740610"),
        ("070.174.06.05", "+46701740605"),
        ("08-465 004 12", "+46846500412"),
        ("031-390 06 45", "+46313900645"),
        ("040-628 04 12", "+46406280412"),
        ("0980-319 212", "+46980319212"),
    ],
)
def test_written_forms_become_e164(text, expected):
    assert normalise_phone(text) == expected


@pytest.mark.parametrize("text", [None, "", "Visa nummer", "123", "Ring 070"])
def test_no_number_gives_none(text):
    assert normalise_phone(text) is None
