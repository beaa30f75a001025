"""Benchmarks: crawl, parse and count figures, printed one per line (run with `make bench`)."""
