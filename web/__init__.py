"""Outputs: exports (and later the dashboard and reports), built only from disclosure-protected tables."""
