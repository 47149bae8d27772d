"""Errors the use cases raise; the API layer maps each to an HTTP status."""

from __future__ import annotations


class ServiceError(Exception):
    status = 400
    title = "Bad request"

    def __init__(self, detail: str, errors: list[dict[str, str]] | None = None, **extra):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        self.extra = extra

    @property
    def headers(self) -> dict[str, str]:
        """HTTP headers the answer carries besides the problem body."""
        return {}


class Unauthenticated(ServiceError):
    status = 401
    title = "Unauthorized"


class Forbidden(ServiceError):
    status = 403
    title = "Forbidden"


class NotFound(ServiceError):
    status = 404
    title = "Not found"


class Conflict(ServiceError):
    status = 409
    title = "Conflict"


class Unprocessable(ServiceError):
    status = 422
    title = "Unprocessable content"

    @classmethod
    def field(cls, field: str, message: str) -> "Unprocessable":
        return cls(f"{field}: {message}", [{"field": field, "message": message}])


class ContentTooLarge(ServiceError):
    status = 413
    title = "Content too large"


class UnsupportedMediaType(ServiceError):
    status = 415
    title = "Unsupported media type"


class TooManyRequests(ServiceError):
    """Too many tries (a brute-force guard): try again after `retry_after` seconds."""

    status = 429
    title = "Too many requests"

    def __init__(self, detail: str, retry_after: int):
        super().__init__(detail)
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}
