"""alto_client.AsyncClient against the same fleet: the same surface, awaited."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from alto_client import AsyncClient, NotFoundError, UnavailableError

from .test_fleet import MISSING, expected_y, worker_paused, x_of


@pytest.mark.asyncio
async def test_async_predict_wait_get_cancel_and_list(fleet):
    key = fleet["keys"]["pyMain"]
    async with AsyncClient(fleet["url"], api_key=key) as c:
        x = x_of(20)
        done = await c.predict("tiny", {"x": x}, wait=True)
        np.testing.assert_array_equal(done.output["y"], expected_y(fleet, x))
        with worker_paused(fleet):
            queued = await c.predict("tiny", {"x": x_of(21)})
            other = await c.predict("tiny", {"x": x_of(22)})
            assert (await c.cancel(other.id)).status == "canceled"
        waited = await c.wait(queued.id)
        assert waited.status == "succeeded"
        assert (await c.get(queued.id)) == waited
        seen = []
        async for page in c.list(page_size=3):
            seen.extend(p.id for p in page.predictions)
        assert seen[:3] == [other.id, queued.id, done.id]
        many = await asyncio.gather(*(c.predict("tiny", {"x": x_of(30 + i)}, wait=True) for i in range(8)))
        assert {p.status for p in many} == {"succeeded"}


@pytest.mark.asyncio
async def test_async_errors_are_the_same_typed_exceptions(fleet):
    async with AsyncClient(fleet["url"], api_key=fleet["keys"]["pyMain"]) as c:
        with pytest.raises(NotFoundError) as e:
            await c.get(MISSING)
        assert (e.value.code, e.value.status) == ("prediction_not_found", 404)
    async with AsyncClient(fleet["redisless"], retries=1, backoff=0.01) as c:
        with pytest.raises(UnavailableError):
            await c.get(MISSING)
