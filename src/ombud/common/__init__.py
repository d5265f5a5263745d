"""Shared building blocks with no dependencies on other domains."""
