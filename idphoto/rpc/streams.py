"""Bounded concurrency for streaming handlers (back-pressure).

``bounded_map`` reads an item only when one of ``limit`` slots is free and frees the slot only after the result
has been handed on (for a gRPC handler: written to the stream). So at most ``limit`` items are being processed
or waiting to be written, and a fast sender is held back by HTTP/2 flow control instead of filling memory.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")
_END = object()


async def bounded_map(source: AsyncIterable[T], fn: Callable[[T], Awaitable[R]], limit: int) -> AsyncIterator[R]:
    """``fn`` over ``source`` with at most ``limit`` items in flight; results in completion order.
    An exception from ``fn`` or from reading ``source`` ends the stream (callers wanting per-item errors catch
    them inside ``fn``)."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    slots = asyncio.Semaphore(limit)
    results: asyncio.Queue = asyncio.Queue()
    tasks: set[asyncio.Task] = set()
    pending = 0

    async def run(item: T) -> None:
        try:
            await results.put((True, await fn(item)))
        except Exception as exc:  # noqa: BLE001 - handed to the consumer, which re-raises it
            await results.put((False, exc))

    async def feed() -> None:
        nonlocal pending
        iterator = aiter(source)
        try:
            while True:
                await slots.acquire()
                try:
                    item = await anext(iterator)
                except StopAsyncIteration:
                    break
                pending += 1
                task = asyncio.create_task(run(item))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            await results.put((True, _END))
        except Exception as exc:  # noqa: BLE001 - handed to the consumer, which re-raises it
            await results.put((False, exc))

    feeder = asyncio.create_task(feed())
    try:
        ended = False
        while not (ended and pending == 0):
            ok, value = await results.get()
            if not ok:
                raise value
            if value is _END:
                ended = True
                continue
            pending -= 1
            try:
                yield value
            finally:
                slots.release()
    finally:
        for task in (feeder, *tasks):
            task.cancel()
