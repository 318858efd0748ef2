"""The exceptions of alto_client: one class per kind of failure, all AltoError.

``code`` is the API's error code (the ``error.code`` of a non-2xx reply, ``status`` its HTTP
status) or a client-side one (``network_error``, ``timeout``, ``invalid_response``,
``invalid_signature``, ``invalid_input`` for a tensor refused before sending) with status None.
"""

from __future__ import annotations

import json

API_ERROR_CODES = (
    "invalid_input",
    "invalid_json",
    "webhook_refused",
    "uri_not_allowed",
    "unauthorized",
    "model_not_found",
    "version_not_found",
    "prediction_not_found",
    "not_found",
    "model_unpublished",
    "model_exists",
    "payload_too_large",
    "unsupported_media_type",
    "idempotency_key_reused",
    "queue_full",
    "storage_full",
    "model_not_ready",
    "redis_unavailable",
    "control_plane_unavailable",
    "internal",
    "forbidden",
    "too_many_attempts",
    "rate_limited",
    "quota_exceeded",
    "batch_not_found",
)


class AltoError(Exception):
    """Any failure of a call; ``code`` says which, ``status`` is the HTTP status or None."""

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.retry_after: float | None = None

    @property
    def retryable(self) -> bool:
        """Whether the same request may succeed later (503, 429, no answer)."""
        return self.status in (429, 503) or self.code in ("network_error", "timeout")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, status={self.status!r}, message={self.message!r})"


class InvalidInputError(AltoError):
    """400: a field or tensor does not fit the model or the schema, or the body is not JSON."""


class WebhookRefusedError(InvalidInputError):
    """400 webhook_refused: the webhook URL's host resolves only to refused addresses."""


class UnauthorizedError(AltoError):
    """401: no API key, or not one of the gateway's."""


class NotFoundError(AltoError):
    """404: no such model, version, prediction, batch or route."""


class ConflictError(AltoError):
    """409 model_exists and 422 idempotency_key_reused."""


class PayloadTooLargeError(AltoError):
    """413: the body is over the gateway's limit."""


class UnsupportedMediaTypeError(AltoError):
    """415: a Content-Type the gateway does not take."""


class RateLimitedError(AltoError):
    """429 queue_full, rate_limited or quota_exceeded: the model's queue or the key's limit is full; retry later."""


class ServerError(AltoError):
    """500: an unexpected failure in the gateway."""


class UnavailableError(AltoError):
    """503: Redis, the control plane or the model is not available now; retry later."""


class NetworkError(AltoError):
    """No answer: connection refused, dropped or timed out (code network_error or timeout)."""


class InvalidResponseError(AltoError):
    """A reply that is not the API's."""


class WebhookVerificationError(AltoError):
    """A webhook delivery whose signature or timestamp does not verify (code invalid_signature)."""


_BY_STATUS = {
    400: InvalidInputError,
    401: UnauthorizedError,
    404: NotFoundError,
    409: ConflictError,
    413: PayloadTooLargeError,
    415: UnsupportedMediaTypeError,
    422: ConflictError,
    429: RateLimitedError,
    500: ServerError,
    503: UnavailableError,
}


def reply_error(status: int, text: str, what: str) -> AltoError:
    """The exception of a non-2xx reply."""
    try:
        e = json.loads(text)["error"]
        code, message = e["code"], e["message"]
    except (ValueError, KeyError, TypeError):
        first = text.strip().split("\n")[0][:200]
        return InvalidResponseError("invalid_response", f"{what}: HTTP {status}{': ' + first if first else ''}", status)
    if code == "webhook_refused":
        return WebhookRefusedError(code, message, status)
    return _BY_STATUS.get(status, AltoError)(code, message, status)
