"""Customers: exchange UID, email, language, jurisdiction."""
