"""The field language of a site config: every match, string-valued XPath, named regex groups with a template,
and values hidden as base64 in an attribute; a template that names no group is a config error."""
from __future__ import annotations

import base64

import pytest
from pydantic import ValidationError

from config.sites import FieldSpec
from parsers.pages import Document
from parsers.phones import read_phone

PAGE = """<html><body>
<ul class="tags"><li>Malmö</li><li>Lund</li><li style="display:none">Ystad</li></ul>
<p class="tel" data-n="{encoded}">Visa nummer</p>
<p class="nr">Ring riktnummer 070, nummer 174 06 05</p>
<span class="first">Anna</span><span class="last">Svensson</span>
</body></html>""".format(encoded=base64.b64encode("070-174 06 05".encode()).decode())


def value(**spec):
    return Document(PAGE, "http://127.0.0.1/annons/1").value(FieldSpec(**spec))


def test_every_match_joined_and_the_first_by_default():
    assert value(css="ul.tags li") == "Malmö"
    assert value(css="ul.tags li", all=True) == "Malmö Lund"  # the hidden one never joins
    assert value(xpath="//ul[@class='tags']/li", all=True) == "Malmö Lund"


def test_an_xpath_that_returns_a_string_is_the_whole_string():
    assert value(xpath="concat(//span[@class='first'], ' ', //span[@class='last'])") == "Anna Svensson"
    assert value(xpath="normalize-space(//p[@class='nr'])") == "Ring riktnummer 070, nummer 174 06 05"


def test_named_groups_fill_a_template():
    text = value(css="p.nr", regex=r"(?P<area>0\d+)\D+(?P<rest>[\d ]+)", template="{area}-{rest}")
    assert read_phone(text) == ("+46701740605", None)


def test_a_base64_attribute_is_decoded_and_bad_base64_is_no_value():
    assert read_phone(value(css="p.tel", attr="data-n", decode="base64")) == ("+46701740605", None)
    assert value(css="p.nr", decode="base64") is None


@pytest.mark.parametrize("spec", [
    {"css": "p", "regex": r"(\d+)-(\d+)"},  # two groups without a template
    {"css": "p", "regex": r"(?P<a>\d+)", "template": "{b}"},  # a group the regex does not have
    {"css": "p", "template": "{a}"},  # a template without a regex
])
def test_a_template_must_use_the_regex_named_groups(spec):
    with pytest.raises(ValidationError):
        FieldSpec(**spec)
