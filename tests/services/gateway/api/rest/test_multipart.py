"""The streaming multipart/form-data parser: any split of the body gives the same parts."""

from __future__ import annotations

import random

import pytest

from services.gateway.api.rest.multipart import MultipartError, MultipartParser, PartEnd, PartStart, boundary_of

BOUNDARY = b"----form7MA4YWxkTrZu0gW"


def body(parts: list[tuple[str, str | None, bytes]], preamble: bytes = b"", epilogue: bytes = b"") -> bytes:
    out = preamble
    for name, filename, content in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename is not None else "")
        out += b"--" + BOUNDARY + b"\r\nContent-Disposition: " + disposition.encode() + b"\r\n"
        if filename is not None:
            out += b"Content-Type: image/jpeg\r\n"
        out += b"\r\n" + content + b"\r\n"
    return out + b"--" + BOUNDARY + b"--\r\n" + epilogue


def parse(data: bytes, sizes) -> list[tuple[PartStart, bytes]]:
    parser = MultipartParser(BOUNDARY)
    parts: list[tuple[PartStart, bytes]] = []
    current: PartStart | None = None
    content = b""
    at = 0
    for size in sizes:
        for event in parser.feed(data[at:at + size]):
            if isinstance(event, PartStart):
                current, content = event, b""
            elif isinstance(event, PartEnd):
                parts.append((current, content))
            else:
                assert current is not None
                content += event
        at += size
    assert at >= len(data)
    parser.close()
    return parts


# content that looks like a boundary but is not one, plus CR/LF noise at the edges
TRICKY = b"\r\n--" + BOUNDARY[:-1] + b"X\r\n\r\n--" + b"\r\n" + bytes(range(256)) * 40 + b"\r"
SAMPLE = body([("specId", None, b"us-passport"), ("file", "porträit.jpg", TRICKY)],
              preamble=b"ignored preamble\r\n", epilogue=b"ignored epilogue")


@pytest.mark.parametrize("seed", range(12))
def test_random_splits_give_the_same_parts(seed):
    rng = random.Random(seed)
    sizes = [rng.choice([1, 2, 3, 7, 64, 1000, 5000]) for _ in range(len(SAMPLE))]
    parts = parse(SAMPLE, sizes)
    assert [(p.name, p.filename, p.content_type) for p, _ in parts] == [
        ("specId", None, "text/plain"), ("file", "porträit.jpg", "image/jpeg")]
    assert parts[0][1] == b"us-passport" and parts[1][1] == TRICKY


def test_every_single_split_point():
    for cut in range(len(SAMPLE)):
        assert parse(SAMPLE, [cut, len(SAMPLE)])[1][1] == TRICKY


def test_memory_stays_bounded_while_content_streams():
    parser = MultipartParser(BOUNDARY)
    parser.feed(b"--" + BOUNDARY + b'\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\n')
    emitted = 0
    for _ in range(200):
        emitted += sum(len(e) for e in parser.feed(b"x" * 10_000) if isinstance(e, bytes))
        assert len(parser._buffer) < len(parser.delimiter)
    assert emitted > 200 * 10_000 - len(parser.delimiter)


@pytest.mark.parametrize(("data", "why"), [
    (body([("file", "a", b"x")])[:-10], "closing boundary"),
    (b"--" + BOUNDARY + b"\r\n\r\nno headers\r\n--" + BOUNDARY + b"--", "no headers"),
    (b"--" + BOUNDARY + b"\r\nContent-Type: text/plain\r\n\r\nx\r\n--" + BOUNDARY + b"--", "Content-Disposition"),
    (b"--" + BOUNDARY + b"\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--" + BOUNDARY + b"--",
     "form-data"),
    (b"--" + BOUNDARY + b"\r\nContent-Disposition: form-data; name=\"a\"\r\n" + b"X-Pad: " + b"p" * 20000,
     "too long"),
    (b"--" + BOUNDARY + b"junk\r\n", "garbage"),
])
def test_malformed_bodies_are_refused(data, why):
    parser = MultipartParser(BOUNDARY)
    with pytest.raises(MultipartError, match=why):
        parser.feed(data)
        parser.close()


def test_boundary_of_content_type():
    assert boundary_of(f'multipart/form-data; boundary="{BOUNDARY.decode()}"') == BOUNDARY
    assert boundary_of("Multipart/Form-Data; charset=utf-8; boundary=abc") == b"abc"
    for bad in ("multipart/form-data", "multipart/mixed; boundary=abc", "multipart/form-data; boundary=" + "a" * 71):
        with pytest.raises(MultipartError):
            boundary_of(bad)
