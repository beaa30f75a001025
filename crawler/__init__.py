"""Crawler: Scrapy spiders driven by site config, the anonymiser, and the pipeline into the store."""
