"""Audit: a tamper-evident, per-case hash-chained record of every step."""
