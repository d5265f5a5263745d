"""Domain errors, mapped to HTTP problems at the web edge."""

from __future__ import annotations


class OmbudError(Exception):
    """Base class: a clear message and, optionally, the field it concerns."""

    status = 400
    title = "Bad request"

    def __init__(self, detail: str, *, pointer: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.pointer = pointer


class NotFound(OmbudError):
    """The thing does not exist, or the caller may not know that it does."""

    status = 404
    title = "Not found"


class Forbidden(OmbudError):
    """The caller is known but may not do this."""

    status = 403
    title = "Forbidden"


class Unauthorized(OmbudError):
    """The caller is not signed in or the credentials are wrong."""

    status = 401
    title = "Unauthorized"


class Conflict(OmbudError):
    """The request conflicts with the current state (e.g. an illegal transition)."""

    status = 409
    title = "Conflict"


class Invalid(OmbudError):
    """A field's value is not acceptable."""

    status = 422
    title = "Unprocessable content"


class TooLarge(OmbudError):
    """The body or file is larger than allowed."""

    status = 413
    title = "Content too large"


class UnsupportedMedia(OmbudError):
    """The body or file is of a type we do not accept."""

    status = 415
    title = "Unsupported media type"


class RateLimited(OmbudError):
    """Too many attempts; retry later."""

    status = 429
    title = "Too many requests"
