"""alto_client: Python client of an Alto fleet's prediction API.

from alto_client import Client
client = Client("http://127.0.0.1:8080", api_key="...")
p = client.predict("tiny", {"x": np.zeros((1, 64), np.float32)}, wait=True)
"""

from ._client import AsyncClient, Client
from ._errors import (
    API_ERROR_CODES,
    AltoError,
    ConflictError,
    InvalidInputError,
    InvalidResponseError,
    NetworkError,
    NotFoundError,
    PayloadTooLargeError,
    RateLimitedError,
    ServerError,
    UnauthorizedError,
    UnavailableError,
    UnsupportedMediaTypeError,
    WebhookRefusedError,
    WebhookVerificationError,
)
from ._prediction import Page, Prediction
from ._tensor import DATATYPES, Tensor
from ._webhook import WebhookEvent, verify_webhook

__all__ = [
    "API_ERROR_CODES",
    "DATATYPES",
    "AltoError",
    "AsyncClient",
    "Client",
    "ConflictError",
    "InvalidInputError",
    "InvalidResponseError",
    "NetworkError",
    "NotFoundError",
    "Page",
    "PayloadTooLargeError",
    "Prediction",
    "RateLimitedError",
    "ServerError",
    "Tensor",
    "UnauthorizedError",
    "UnavailableError",
    "UnsupportedMediaTypeError",
    "WebhookEvent",
    "WebhookRefusedError",
    "WebhookVerificationError",
    "verify_webhook",
]
__version__ = "0.1.0"
