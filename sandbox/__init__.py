"""The simulated market and its sandbox sites on 127.0.0.1: the test world the demo and the end-to-end tests crawl.

Nothing in the product stages imports it; only the command line, evaluation/, bench/ and tests do.
"""
