"""Verifies a webhook delivery of an Alto fleet (Standard Webhooks): ``webhook-signature`` holds
``v1,<base64 HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{body}">`` keyed by the bytes of a
``whsec_`` secret, one per secret while rotating, and the timestamp must be recent."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ._errors import WebhookVerificationError
from ._prediction import Prediction
from ._tensor import np


@dataclass
class WebhookEvent:
    type: str
    """``prediction.started`` or ``prediction.completed``."""
    timestamp: str
    data: Prediction


def _fail(message: str) -> WebhookVerificationError:
    return WebhookVerificationError("invalid_signature", f"webhook: {message}")


def _header(headers: Mapping[str, Any], name: str) -> str | None:
    for k, v in headers.items():
        if k.lower() == name:
            return " ".join(v) if isinstance(v, (list, tuple)) else str(v)
    return None


def _key(secret: str) -> bytes:
    if not secret.startswith("whsec_"):
        raise _fail("the secret does not start with 'whsec_'")
    try:
        return base64.b64decode(secret[len("whsec_") :], validate=True)
    except (binascii.Error, ValueError):
        raise _fail("the secret is not base64 after 'whsec_'") from None


def verify_webhook(
    headers: Mapping[str, Any],
    body: str | bytes,
    secret: str,
    *,
    tolerance_seconds: float = 300,
    now: float | None = None,
    numpy: bool | None = None,
) -> WebhookEvent:
    """Checks a delivery and returns its event. ``body`` is the raw body as received;
    ``secret`` the fleet's ``whsec_...`` (several, space-separated: any may match). Raises
    WebhookVerificationError saying what failed."""
    wid = _header(headers, "webhook-id")
    ts = _header(headers, "webhook-timestamp")
    sigs = _header(headers, "webhook-signature")
    if not wid or not ts or not sigs:
        missing = [h for h in ("webhook-id", "webhook-timestamp", "webhook-signature") if not _header(headers, h)]
        raise _fail(f"missing header {', '.join(missing)}")
    if not ts.isdigit():
        raise _fail(f"webhook-timestamp must be Unix seconds, got {ts!r}")
    skew = abs((time.time() if now is None else now) - int(ts))
    if skew > tolerance_seconds:
        raise _fail(f"webhook-timestamp is {round(skew)} s from now; at most {tolerance_seconds:g} s allowed")
    raw = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    content = f"{wid}.{ts}.".encode() + raw
    given = [s[3:] for s in sigs.split(" ") if s.startswith("v1,")]
    for part in secret.split():
        expected = base64.b64encode(hmac.new(_key(part), content, hashlib.sha256).digest()).decode("ascii")
        if any(hmac.compare_digest(g, expected) for g in given):
            try:
                event = json.loads(raw)
            except ValueError:
                raise _fail("the signed body is not JSON") from None
            use_numpy = np is not None if numpy is None else numpy
            return WebhookEvent(event["type"], event["timestamp"], Prediction.from_json(event["data"], use_numpy))
    raise _fail(f"no signature in webhook-signature matches the secret (webhook-id {wid})")
