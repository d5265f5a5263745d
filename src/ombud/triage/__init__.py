"""Triage: completeness, classification, priority, routing, deadline clocks, incidents."""
