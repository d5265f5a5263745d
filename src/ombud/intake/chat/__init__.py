"""Live chat: a knowledge-base bot first, then a person; the transcript joins a case."""
