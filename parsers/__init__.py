"""Parsers: pure functions from page HTML to typed records. No I/O, no clock, no Scrapy."""
