"""Values read from Redis as text, whether the client decodes responses or not."""

from __future__ import annotations

from typing import Any


def as_text(value: Any) -> str:
    """``value`` as a str (bytes are UTF-8 decoded)."""
    return value.decode() if isinstance(value, bytes) else str(value)
