"""Disputes: objections to a decision and their re-review."""
