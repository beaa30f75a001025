"""Drives the crawler on a schedule: persistent schedules, isolated crawl processes, health checks and alerts."""
