"""Page tokens for newest-first listings over a sorted set: the (score, member) of the last item returned."""

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
