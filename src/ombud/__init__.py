"""Ombud: complaint handling for cryptocurrency exchanges."""

__version__ = "0.1.0"
