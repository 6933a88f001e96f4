"""Page tokens: for newest-first listings over a sorted set, the (score, member) of the last item returned; for
fixed-order lists (specs, a batch's items), the offset of the next page."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

import redis

from idphoto.errors import InvalidOptionError
from services.gateway.kv.values import as_text

R = TypeVar("R")


@dataclass(frozen=True)
class Cursor:
    score: float
    member: str

    def follows(self, score: float, member: str) -> bool:
        """Whether (score, member) comes after this cursor in ZREVRANGEBYSCORE order."""
        return score < self.score or (score == self.score and member < self.member)


def encode_token(cursor: Cursor) -> str:
    raw = json.dumps([repr(cursor.score), cursor.member], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str | None) -> Cursor | None:
    if not token:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        score, member = json.loads(raw)
        return Cursor(float(score), str(member))
    except (binascii.Error, ValueError, TypeError) as exc:
        raise InvalidOptionError("invalid page_token") from exc


@dataclass(frozen=True)
class OffsetPage:
    """One page of a fixed-order list: items ``start`` .. ``start + size``, and the next page's token."""

    start: int
    size: int
    next_token: str


def offset_page(page_token: str, page_size: int, total: int, default_size: int, max_size: int) -> OffsetPage:
    """The page ``page_token`` (an offset; '' = the first) of a list of ``total`` items; INVALID_OPTION for a
    token that is not one."""
    try:
        start = max(0, int(page_token or 0))
    except ValueError:
        raise InvalidOptionError("invalid page_token", page_token=page_token) from None
    size = max(1, min(page_size or default_size, max_size))
    return OffsetPage(start, size, str(start + size) if start + size < total else "")



def newest_first(client: redis.Redis, index: str, cursor: Cursor | None, hash_key: Callable[[str], str],
                 batch: int = 100) -> Iterator[tuple[float, str, dict]]:
    """(score, member, raw hash) of a sorted-set index, newest first after ``cursor``, read ``batch`` at a time;
    index entries whose hash has expired are dropped from the index on the way."""
    top = "+inf" if cursor is None else repr(cursor.score)
    offset, seen = 0, set()
    while True:
        rows = client.zrevrangebyscore(index, top, "-inf", start=offset, num=batch, withscores=True)
        offset += len(rows)
        fresh = [(as_text(m), s) for m, s in rows if cursor is None or cursor.follows(s, as_text(m))]
        fresh = [(m, s) for m, s in fresh if m not in seen]    # a newer entry may shift offsets: no repeats
        seen.update(m for m, _ in fresh)
        pipe = client.pipeline(transaction=False)
        for member, _ in fresh:
            pipe.hgetall(hash_key(member))
        gone = []
        for (member, score), raw in zip(fresh, pipe.execute(), strict=True):
            if raw:
                yield score, member, {as_text(k): as_text(v) for k, v in raw.items()}
            else:
                gone.append(member)
        if gone:
            client.zrem(index, *gone)
            offset -= len(gone)
        if len(rows) < batch:
            return


def first_page(entries: Iterator[tuple[float, str, R]], page_size: int) -> tuple[list[R], str]:
    """The first ``page_size`` records of ``entries`` and the token of the page after them ('' at the end)."""
    found: list[tuple[float, str, R]] = []
    for entry in entries:
        found.append(entry)
        if len(found) > page_size:
            break
    page = found[:page_size]
    token = encode_token(Cursor(page[-1][0], page[-1][1])) if len(found) > page_size else ""
    return [record for _, _, record in page], token
