"""A prediction as the API renders it, with its output tensors decoded."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ._tensor import decode_output

TERMINAL = frozenset({"succeeded", "failed", "canceled", "expired"})


@dataclass(eq=False)
class Prediction:
    """Fields as in the API's Prediction object; ``output`` maps names to numpy arrays (or
    Tensor without numpy); ``raw`` is the JSON as received. Two are equal when their JSON is."""

    id: str
    model: str
    version: str
    status: str
    output: dict[str, Any] | None
    error: dict[str, str] | None
    created_at: str
    started_at: str | None
    completed_at: str | None
    metrics: dict[str, Any]
    urls: dict[str, str]
    webhooks: dict[str, Any] | None
    #: The OpenTelemetry trace it belongs to (32 hex digits); None when not traced.
    trace_id: str | None
    raw: dict[str, Any] = field(repr=False)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Prediction) and self.raw == other.raw

    __hash__ = None  # type: ignore[assignment]

    @property
    def done(self) -> bool:
        """Whether it is terminal: succeeded, failed, canceled or expired."""
        return self.status in TERMINAL

    @classmethod
    def from_json(cls, j: Mapping[str, Any], use_numpy: bool) -> Prediction:
        output = None
        if j.get("output"):
            output = {name: decode_output(name, t, use_numpy) for name, t in j["output"].items()}
        return cls(
            id=j["id"],
            model=j["model"],
            version=j["version"],
            status=j["status"],
            output=output,
            error=j.get("error"),
            created_at=j["created_at"],
            started_at=j.get("started_at"),
            completed_at=j.get("completed_at"),
            metrics=j.get("metrics", {}),
            urls=j.get("urls", {}),
            webhooks=j.get("webhooks"),
            trace_id=j.get("trace_id"),
            raw=dict(j),
        )


@dataclass
class Page:
    """A page of :meth:`Client.list`: the predictions, newest first, and the cursor of the next page."""

    predictions: list[Prediction]
    next_cursor: str | None
