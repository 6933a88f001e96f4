import asyncio

import pytest

from idphoto.rpc.streams import bounded_map
from tests.idphoto.rpc.support import run


class Source:
    """An async source that records how many items have been read."""

    def __init__(self, n: int, fail_at: int | None = None) -> None:
        self.n, self.fail_at, self.read = n, fail_at, 0

    def __aiter__(self):
        return self

    async def __anext__(self):
        if self.read == self.fail_at:
            raise ConnectionError("stream broke")
        if self.read >= self.n:
            raise StopAsyncIteration
        self.read += 1
        return self.read - 1


def test_at_most_limit_in_flight_and_reads_only_when_a_slot_frees():
    async def scenario():
        source, active, peak, read_ahead = Source(8), 0, 0, []

        async def work(i):
            nonlocal active, peak
            active += 1
            peak = max(peak, active)
            read_ahead.append(source.read - i)          # items read beyond this one
            await asyncio.sleep(0.02 * (i % 3 + 1))
            active -= 1
            return i * 10

        results = [r async for r in bounded_map(source, work, 3)]
        return results, peak, max(read_ahead)

    results, peak, read_ahead = run(scenario())
    assert sorted(results) == [i * 10 for i in range(8)]
    assert peak == 3 and read_ahead <= 3


def test_slot_is_held_until_the_result_is_taken():
    async def scenario():
        source = Source(5)

        async def work(i):
            return i

        stream = bounded_map(source, work, 2)
        first = await anext(stream)
        await asyncio.sleep(0.05)              # consumer is slow: no new item may be read meanwhile
        read_while_slow = source.read
        rest = [r async for r in stream]
        return first, read_while_slow, rest

    first, read_while_slow, rest = run(scenario())
    assert read_while_slow <= 2 and sorted([first, *rest]) == [0, 1, 2, 3, 4]


def test_errors_end_the_stream():
    async def work(i):
        if i == 2:
            raise ValueError("bad item")
        return i

    async def consume(source, fn):
        return [r async for r in bounded_map(source, fn, 2)]

    with pytest.raises(ValueError, match="bad item"):
        run(consume(Source(5), work))
    with pytest.raises(ConnectionError):
        run(consume(Source(5, fail_at=3), lambda i: asyncio.sleep(0, i)))
    assert run(consume(Source(0), work)) == []
