"""Pure flood control: a token bucket per chat client (``now`` is an argument)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class TokenBucket:
    """``burst`` messages at once, refilled at ``rate`` messages per second."""

    rate: float
    burst: float
    tokens: float = -1.0
    at: float = 0.0

    def take(self, now: float) -> float:
        """Spend one token: 0.0 when allowed, else the seconds to wait before the next one."""
        if self.tokens < 0:
            self.tokens, self.at = self.burst, now
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate
