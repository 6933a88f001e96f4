"""A streaming ``multipart/form-data`` parser (RFC 7578): bytes in, events out, nothing spooled.

``MultipartParser.feed(chunk)`` returns the events the chunk completes: ``PartStart`` (a part's headers),
``bytes`` (the next piece of the current part's content) and ``PartEnd``. The parser keeps at most one
delimiter's length of content plus one part's headers in memory, so a caller that counts the content while it
streams can refuse an oversized upload after reading little more than the limit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message
from urllib.parse import unquote

MAX_HEADER_BYTES = 16 * 1024
_BOUNDARY = re.compile(r"^[0-9A-Za-z'()+_,\-./:=? ]{1,70}$")


class MultipartError(ValueError):
    """The body is not well-formed multipart/form-data."""


@dataclass(frozen=True)
class PartStart:
    name: str
    filename: str | None       # None for a plain form field
    content_type: str


@dataclass(frozen=True)
class PartEnd:
    name: str


def boundary_of(content_type: str) -> bytes:
    """The boundary parameter of a multipart/form-data content type."""
    message = Message()
    message["content-type"] = content_type
    if message.get_content_type() != "multipart/form-data":
        raise MultipartError("not multipart/form-data")
    boundary = message.get_param("boundary")
    if not isinstance(boundary, str) or not _BOUNDARY.match(boundary) or boundary.endswith(" "):
        raise MultipartError("multipart/form-data needs a valid boundary parameter")
    return boundary.encode("ascii")


def _disposition(value: str) -> tuple[str, str | None]:
    message = Message()
    message["content-disposition"] = value
    if message.get_content_disposition() != "form-data":
        raise MultipartError("every part needs Content-Disposition: form-data")
    name = message.get_param("name", header="content-disposition")
    if not isinstance(name, str) or not name:
        raise MultipartError("a part has no name")
    filename = message.get_filename()
    if filename is None and message.get_param("filename*", header="content-disposition") is not None:
        filename = ""
    return unquote(name), filename


def _headers(block: bytes) -> PartStart:
    try:
        text = block.decode("utf-8")
    except UnicodeDecodeError:
        text = block.decode("latin-1")
    fields: dict[str, str] = {}
    for line in text.split("\r\n"):
        if not line:
            continue
        key, colon, value = line.partition(":")
        if not colon or not key.strip():
            raise MultipartError(f"bad part header line {line[:80]!r}")
        fields[key.strip().lower()] = value.strip()
    if "content-disposition" not in fields:
        raise MultipartError("a part has no Content-Disposition header")
    name, filename = _disposition(fields["content-disposition"])
    return PartStart(name, filename, fields.get("content-type", "text/plain" if filename is None else
                                                "application/octet-stream"))


class MultipartParser:
    def __init__(self, boundary: bytes) -> None:
        self.delimiter = b"\r\n--" + boundary
        self._buffer = b"\r\n"          # so that a boundary on the very first line matches the delimiter
        self._state = "preamble"
        self._part: PartStart | None = None

    @property
    def done(self) -> bool:
        return self._state == "done"

    def feed(self, data: bytes) -> list[PartStart | PartEnd | bytes]:
        if self._state == "done":
            return []                   # the epilogue is ignored
        self._buffer += data
        events: list[PartStart | PartEnd | bytes] = []
        while self._step(events):
            pass
        return events

    def close(self) -> None:
        if self._state != "done":
            raise MultipartError("the multipart body ended before its closing boundary")

    def _step(self, events: list) -> bool:
        """Advance as far as the buffer allows; True when another step may make progress."""
        handler = {"preamble": self._preamble, "delimiter": self._after_delimiter, "headers": self._part_headers,
                   "body": self._body, "done": lambda events: False}[self._state]
        return handler(events)

    def _preamble(self, events: list) -> bool:
        at = self._buffer.find(self.delimiter)
        if at < 0:
            self._buffer = self._buffer[-(len(self.delimiter) - 1):]
            return False
        self._buffer = self._buffer[at + len(self.delimiter):]
        self._state = "delimiter"
        return True

    def _after_delimiter(self, events: list) -> bool:
        line_end = self._buffer.find(b"\r\n")
        if line_end < 0:
            if len(self._buffer) > 256:
                raise MultipartError("garbage after a boundary")
            if self._buffer.startswith(b"--"):
                self._state = "done"
            return False
        line = self._buffer[:line_end]
        if line.startswith(b"--"):
            self._state = "done"
            return False
        if line.strip(b" \t"):
            raise MultipartError("garbage after a boundary")
        self._buffer = self._buffer[line_end + 2:]
        self._state = "headers"
        return True

    def _part_headers(self, events: list) -> bool:
        if self._buffer.startswith(b"\r\n"):
            raise MultipartError("a part has no headers")
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self._buffer) > MAX_HEADER_BYTES:
                raise MultipartError("part headers are too long")
            return False
        self._part = _headers(self._buffer[:end])
        events.append(self._part)
        self._buffer = self._buffer[end + 4:]
        self._state = "body"
        return True

    def _body(self, events: list) -> bool:
        at = self._buffer.find(self.delimiter)
        if at < 0:
            keep = len(self.delimiter) - 1
            if len(self._buffer) > keep:
                events.append(self._buffer[:-keep])
                self._buffer = self._buffer[-keep:]
            return False
        if at:
            events.append(self._buffer[:at])
        events.append(PartEnd(self._part.name if self._part else ""))
        self._buffer = self._buffer[at + len(self.delimiter):]
        self._state = "delimiter"
        return True
