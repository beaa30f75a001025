"""Phone normalisation, on the written forms ads use (PTS fiction ranges only)."""
import pytest

from parsers.phones import UNREADABLE, normalise_phone, read_phone


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


@pytest.mark.parametrize("text", [
    "070-174 06 05 12",            # a number with more digits after it: part of a longer run
    "1 070-174 06 05",             # … or before it
    "0701740605999",               # one run of digits, longer than any number
    "070-174 06 05 eller 070-174 06 10",  # two different numbers: which one is unknown
    "070-174 06 05 070 174 06 10",        # two numbers with only a space between: one run or two?
])
def test_a_field_that_is_not_exactly_one_whole_number_gives_none_and_says_so(text):
    phone, problem = read_phone(text)
    assert phone is None and problem == UNREADABLE


def test_the_same_number_twice_is_one_number_and_text_without_digits_is_no_problem():
    assert read_phone("070-174 06 05 (070 174 06 05)") == ("+46701740605", None)
    assert read_phone("Ring 070-174 06 05 efter kl 18") == ("+46701740605", None)  # other digits, not beside it
    assert read_phone("Visa nummer") == (None, None)
