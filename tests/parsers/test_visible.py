"""Only visible text joins a field: decoy characters hidden by style, `hidden` or `aria-hidden` are left out,
on CSS and XPath fields alike, and a phone split over elements with a hidden decoy reads as the real number."""
from __future__ import annotations

import pytest

from config.sites import FieldSpec
from parsers.pages import Document
from parsers.phones import read_phone

DECOYS = [
    '<span style="display:none">9</span>',
    '<span style="DISPLAY: none !important;">9</span>',
    '<span style="color:red; visibility:hidden">9</span>',
    '<span hidden>9</span>',
    '<span aria-hidden="true">9</span>',
    "<script>document.write('9')</script>",
    "<!-- 9 -->",
]


@pytest.mark.parametrize("decoy", DECOYS)
@pytest.mark.parametrize("spec", [FieldSpec(css="p.tel"), FieldSpec(xpath="//p[@class='tel']")])
def test_hidden_decoy_digits_never_join_a_phone(decoy, spec):
    html = f'<html><body><p class="tel"><span>070</span>{decoy}<span>-174 06 05</span></p></body></html>'
    text = Document(html, "http://127.0.0.1/annons/1").value(spec, joined=True)
    assert text == "070-174 06 05"
    assert read_phone(text) == ("+46701740605", None)


def test_a_hidden_field_is_no_value_and_visible_neighbours_stay():
    html = ('<div><p class="ort" style="display:none">Malmö</p><p class="stad">Göteborg '
            '<b style="display: none">Borås</b>centrum</p></div>')
    doc = Document(html, "http://127.0.0.1/")
    assert doc.value(FieldSpec(css="p.ort")) is None
    assert doc.value(FieldSpec(css="p.stad")) == "Göteborg centrum"
    assert doc.value(FieldSpec(xpath="//p[@class='stad']")) == "Göteborg centrum"


def test_a_style_that_only_mentions_display_is_not_hiding():
    html = '<p class="tel" style="display:inline-block; border:none">070-174 06 05</p>'
    assert Document(html, "http://127.0.0.1/").value(FieldSpec(css="p.tel")) == "070-174 06 05"
