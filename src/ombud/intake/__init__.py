"""Intake: messages arriving on a channel become cases or follow-ups, once each."""
