"""Batch intake from a zip of images."""

from __future__ import annotations

import io
import struct
import zipfile

import pytest
from PIL import Image

from idphoto.domain.types import RenderOptions
from idphoto.errors import BatchInvalidError
from services.gateway.batches import zipentries
from services.gateway.batches.intake import IntakeLimits, parse_zip

CENTRAL_HEADER = b"PK\x01\x02"


def image_bytes(fmt: str, size: tuple[int, int] = (16, 12)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(out, format=fmt)
    return out.getvalue()


JPEG = image_bytes("JPEG")
PNG = image_bytes("PNG")


def zip_bytes(entries: list[tuple[str, bytes]], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=compression) as archive:
        for name, blob in entries:
            archive.writestr(name, blob)
    return out.getvalue()


def parse(data: bytes, default_spec_id: str = "us-passport", defaults: RenderOptions | None = None, **limits):
    return parse_zip(data, default_spec_id=default_spec_id, defaults=defaults or RenderOptions(),
                     limits=IntakeLimits(**limits))


def rejection(data: bytes, default_spec_id: str = "us-passport", defaults: RenderOptions | None = None, **limits):
    with pytest.raises(BatchInvalidError) as caught:
        parse(data, default_spec_id, defaults, **limits)
    errors = caught.value.details["errors"]
    return [(e["row"], e["column"], e["code"]) for e in errors], caught.value.details["error_count"], errors


def patch_central_header(data: bytes, entry: int, offset: int, fmt: str, value: int) -> bytes:
    """``data`` with one field of the ``entry``-th central directory header overwritten."""
    start = -1
    for _ in range(entry + 1):
        start = data.index(CENTRAL_HEADER, start + 1)
    patched = bytearray(data)
    struct.pack_into(fmt, patched, start + offset, value)
    return bytes(patched)


def test_images_in_zip_order_with_junk_skipped():
    data = zip_bytes([("photos/", b""), ("__MACOSX/photos/._b.png", b"junk"),
                      ("__MACOSX/photos/b.png", b"junk"), ("photos/.DS_Store", b"junk"),
                      ("photos/b.png", PNG), ("a.jpg", JPEG)])
    defaults = RenderOptions(background="blue", format="PNG")
    items = parse(data, default_spec_id=" uk-passport ", defaults=defaults)
    assert [(i.index, i.row, i.filename, i.external_id) for i in items] == [
        (0, 1, "photos/b.png", "photos/b.png"), (1, 2, "a.jpg", "a.jpg")]
    assert items[0].image == PNG and items[1].image == JPEG
    assert all(i.spec_id == "uk-passport" and i.image_url == "" for i in items)
    assert all(i.options == RenderOptions(background="blue", format="png") for i in items)


def test_non_image_entries_are_items_too():
    items = parse(zip_bytes([("notes.txt", b"hello")]))
    assert [(i.filename, i.image) for i in items] == [("notes.txt", b"hello")]


def test_entry_over_the_size_limit_is_a_row_error():
    cap = 2_000
    data = zip_bytes([("a.jpg", JPEG), ("fits.bin", b"\0" * cap), ("c.bin", b"\0" * (cap + 1))])
    where, count, errors = rejection(data, max_entry_bytes=cap)
    assert (where, count) == ([(3, "", "FILE_TOO_LARGE")], 1)
    assert "c.bin" in errors[0]["message"] and "2001 bytes" in errors[0]["message"]


def test_read_is_capped_whatever_the_header_says():
    class Archive:
        def open(self, info):
            return io.BytesIO(b"\0" * 1000)

    info = zipfile.ZipInfo("liar.jpg")
    info.file_size = 10
    with pytest.raises(zipentries.EntryTooLargeError):
        zipentries.read_capped(Archive(), info, 100)
    assert zipentries.read_capped(Archive(), info, 1000) == b"\0" * 1000


def test_entry_whose_header_understates_its_size_is_rejected():
    data = zip_bytes([("a.jpg", JPEG), ("b.bin", b"\0" * 5000)], compression=zipfile.ZIP_STORED)
    data = patch_central_header(data, 1, 24, "<I", 10)       # uncompressed size: 10 instead of 5000
    where, count, _ = rejection(data, max_entry_bytes=2_000)
    assert (where, count) == ([(2, "", "BATCH_INVALID")], 1)


def test_total_over_the_limit_is_a_file_error_found_before_reading():
    data = zip_bytes([("locked.jpg", JPEG), ("a.jpg", JPEG), ("b.png", PNG)])
    data = patch_central_header(data, 0, 8, "<H", 0x1)       # would be a row error if it were read
    limit = 2 * len(JPEG) + len(PNG)
    assert rejection(data, max_total_bytes=limit)[:2] == ([(1, "", "BATCH_INVALID")], 1)
    where, count, _ = rejection(data, max_total_bytes=limit - 1)
    assert (where, count) == ([(0, "", "FILE_TOO_LARGE")], 1)


def test_total_counts_the_bytes_actually_read(monkeypatch):
    monkeypatch.setattr(zipentries, "read_capped", lambda archive, info, cap: b"x" * 600)
    data = zip_bytes([("a.jpg", b"1"), ("b.jpg", b"2")])
    assert [i.image for i in parse(data, max_total_bytes=1200)] == [b"x" * 600] * 2
    where, count, _ = rejection(data, max_total_bytes=1199)
    assert (where, count) == ([(0, "", "FILE_TOO_LARGE")], 1)


def test_encrypted_entry_is_a_row_error():
    data = zip_bytes([("a.jpg", JPEG), ("secret.jpg", JPEG)])
    data = patch_central_header(data, 1, 8, "<H", 0x1)       # general purpose flags: encrypted
    where, count, errors = rejection(data)
    assert (where, count) == ([(2, "", "BATCH_INVALID")], 1)
    assert errors[0]["message"] == "secret.jpg: encrypted entries are not supported"


def test_too_many_entries():
    data = zip_bytes([("a.jpg", JPEG), ("b.png", PNG), ("c.jpg", JPEG)])
    assert len(parse(data, max_items=3)) == 3
    where, count, errors = rejection(data, max_items=2)
    assert (where, count) == ([(0, "", "BATCH_INVALID")], 1)
    assert "more than 2" in errors[0]["message"]


@pytest.mark.parametrize("data", [b"not a zip at all", zip_bytes([("a.jpg", JPEG)])[:40]])
def test_not_a_zip(data):
    where, count, _ = rejection(data)
    assert (where, count) == ([(0, "", "BATCH_INVALID")], 1)


@pytest.mark.parametrize("entries", [[], [("dir/", b""), ("__MACOSX/._a.jpg", b"x"), (".hidden", b"x")]])
def test_zip_without_images(entries):
    where, count, errors = rejection(zip_bytes(entries))
    assert (where, count) == ([(0, "", "BATCH_INVALID")], 1)
    assert "no image" in errors[0]["message"]


@pytest.mark.parametrize(("spec_id", "code"), [("", "BATCH_INVALID"), ("  ", "BATCH_INVALID"),
                                               ("xx-nothing", "SPEC_NOT_FOUND")])
def test_zip_needs_a_known_default_spec(spec_id, code):
    where, count, _ = rejection(zip_bytes([("a.jpg", JPEG)]), default_spec_id=spec_id)
    assert (where, count) == ([(0, "spec_id", code)], 1)


def test_zip_rejects_invalid_default_options():
    where, _, _ = rejection(zip_bytes([("a.jpg", JPEG)]), defaults=RenderOptions(contrast=101))
    assert where == [(0, "contrast", "INVALID_OPTION")]
    where, _, _ = rejection(zip_bytes([("a.jpg", JPEG)]), defaults=RenderOptions(sheet="napkin"))
    assert where == [(0, "sheet", "PAPER_NOT_FOUND")]


def test_entry_name_longer_than_an_external_id_is_a_row_error():
    where, _, _ = rejection(zip_bytes([("a.jpg", JPEG), ("d/" * 100 + "b.jpg", JPEG)]))
    assert where == [(2, "external_id", "BATCH_INVALID")]
