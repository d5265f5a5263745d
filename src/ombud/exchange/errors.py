"""Exchange errors: what went wrong talking to an exchange, and whether a retry may help."""

from __future__ import annotations


class ExchangeError(Exception):
    """Base class; `retryable` says whether the same request may succeed later."""

    retryable = False


class ExchangeUnavailable(ExchangeError):
    """5xx answers or a busy/maintenance error code, after the retry budget ran out."""

    retryable = True


class ExchangeTimeout(ExchangeUnavailable):
    """No answer in time. The request may or may not have been applied."""


class ExchangeRateLimited(ExchangeUnavailable):
    """HTTP 429 or a rate-limit error code, after the retry budget ran out."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class MalformedResponse(ExchangeError):
    """The answer is not the documented JSON shape."""


class ExchangeAuthError(ExchangeError):
    """Key, signature, passphrase or timestamp refused (OKX 50102-50114)."""


class ExchangeRejected(ExchangeError):
    """The exchange understood the request and refused it with an error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"exchange refused the request: code {code}: {message}")
        self.code = code
        self.message = message


class Unsupported(ExchangeError):
    """The exchange offers no way to do this (e.g. no public login-log API)."""


class ClientIdConflict(ExchangeError):
    """A client id was reused for a different credit or refund."""


class UnknownAccount(ExchangeError):
    """The exchange has no such account."""
