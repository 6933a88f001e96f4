"""Page tokens: for newest-first listings over a sorted set, the (score, member) of the last item returned; for
fixed-order lists (specs, a batch's items), the offset of the next page."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from idphoto.errors import InvalidOptionError


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
