"""The sockets' slots in Redis hold up when many sockets come and go at once: more commands
at a time than the pool has connections wait for one, they do not fail."""

from __future__ import annotations

import asyncio

import pytest
from django.conf import settings

from wallboard.live.slots import POOL_SIZE, RedisSlots

pytestmark = pytest.mark.services


async def test_hundreds_of_screens_closing_at_once_give_back_every_slot() -> None:
    slots = RedisSlots(settings.REDIS_URL, f"{settings.REDIS_PREFIX}:burst")
    sockets = [f"socket-{n}" for n in range(10 * POOL_SIZE)]
    taken = await asyncio.gather(*(slots.take("tv:1", s, len(sockets)) for s in sockets))
    assert all(taken)
    assert not await slots.take("tv:1", "one-too-many", len(sockets))

    await asyncio.gather(*(slots.give_back("tv:1", s) for s in sockets))

    assert await slots.take("tv:1", "after", 1), "every slot was given back"
    await slots.give_back("tv:1", "after")
