"""Log lines never carry URL paths (site ad ids) or phone numbers."""
import logging

from crawler.logredact import RedactingFilter, redact


def test_url_paths_and_phone_numbers_are_redacted():
    line = redact("Crawled <GET http://127.0.0.1:8765/nattsida/annons/N1001> tel 070-174 06 05, +46 70 174 06 05")
    assert "N1001" not in line and "174" not in line
    assert "http://127.0.0.1:8765/…" in line


def test_ordinary_numbers_survive():
    assert redact("pages 1234567 at 2026-11-22 21:55:03") == "pages 1234567 at 2026-11-22 21:55:03"


def test_filter_formats_arguments_and_exception_text(caplog):
    logger = logging.getLogger("lagesbild.test.redact")
    logger.addFilter(RedactingFilter())
    with caplog.at_level(logging.INFO, logger="lagesbild.test.redact"):
        logger.info("number %s at %s", "0701740605", "http://x.test/annons/9")
        try:
            raise ValueError("bad page http://x.test/annons/77 tel 0701740699")
        except ValueError:
            logger.exception("failed")
    text = caplog.text
    assert "0701740605" not in text and "annons/9" not in text
    assert "0701740699" not in text and "annons/77" not in text and "ValueError" in text
