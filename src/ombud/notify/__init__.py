"""Notify: outbound messages in the customer's language, through a Sender."""
