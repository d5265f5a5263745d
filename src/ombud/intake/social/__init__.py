"""Social channels: Telegram, Facebook Messenger and X webhooks in, platform send APIs out."""
