"""Cases: the case aggregate, its lifecycle, messages and attachments."""
