"""Batch intake from JSON items (check_items)."""

from __future__ import annotations

import pytest

from idphoto.domain.types import RenderOptions
from idphoto.errors import BatchInvalidError
from services.gateway.batches.intake import IntakeLimits, ItemInput, check_items

URL = "https://example.com/a.jpg"


def item(index: int = 0, spec_id: str = "us-passport", options: RenderOptions | None = None, **fields) -> ItemInput:
    return ItemInput(index=index, row=index + 1, spec_id=spec_id, options=options or RenderOptions(), **fields)


def rejection(items: list[ItemInput], **limits):
    with pytest.raises(BatchInvalidError) as caught:
        check_items(items, IntakeLimits(**limits))
    errors = caught.value.details["errors"]
    return [(e["row"], e["column"], e["code"]) for e in errors], caught.value.details["error_count"], errors


def test_valid_items_come_back_trimmed_and_normalised():
    items = [item(0, image_url=f"  {URL} ", external_id=" a ", options=RenderOptions(format="PNG")),
             item(1, spec_id=" custom:35x45mm@300", upload_id=" up-1 "),
             item(2, image=b"\xff\xd8bytes", options=RenderOptions(format="jpeg", dpi=600))]
    checked = check_items(items)
    assert [(i.index, i.row) for i in checked] == [(0, 1), (1, 2), (2, 3)]
    assert (checked[0].image_url, checked[0].external_id, checked[0].options.format) == (URL, "a", "png")
    assert (checked[1].spec_id, checked[1].upload_id) == ("custom:35x45mm@300", "up-1")
    assert checked[2].image == b"\xff\xd8bytes"
    assert checked[2].options == RenderOptions(format="jpg", dpi=600)


def test_exactly_one_image_source():
    where, count, errors = rejection([
        item(0), item(1, image_url=URL, upload_id="up"), item(2, upload_id="up", image=b"x"),
        item(3, image_url="  ", upload_id=" "), item(4, image_url=URL)])
    assert where == [(1, "image_url", "BATCH_INVALID"), (2, "image_url,upload_id", "BATCH_INVALID"),
                     (3, "upload_id,image", "BATCH_INVALID"), (4, "image_url", "BATCH_INVALID")]
    assert count == 4
    assert "exactly one of image_url, upload_id, image" in errors[0]["message"]


@pytest.mark.parametrize("url", ["javascript:alert(1)", "file:///etc/passwd", "https://", "http://a b/c",
                                 "https://example.com/\x00", "http://[::1/x", "https://example.com:99999/",
                                 "https://example.com/" + "a" * 30])
def test_url_syntax(url):
    where, _, _ = rejection([item(0, image_url=url)], max_url_chars=40)
    assert where == [(1, "image_url", "BATCH_INVALID")]


@pytest.mark.parametrize("url", ["http://example.com", "HTTPS://user@example.com:8443/a.jpg?x=1#f",
                                 "http://10.0.0.1/a.jpg", "https://bücher.example/ö.jpg"])
def test_url_syntax_accepts_http_and_https_without_vetting_addresses(url):
    assert check_items([item(0, image_url=url)])[0].image_url == url


def test_spec_id_must_be_known_and_given():
    where, _, _ = rejection([item(0, spec_id="xx-nothing", image_url=URL), item(1, spec_id=" ", image_url=URL),
                             item(2, spec_id="custom:nonsense", image_url=URL)])
    assert where == [(1, "spec_id", "SPEC_NOT_FOUND"), (2, "spec_id", "BATCH_INVALID"),
                     (3, "spec_id", "INVALID_OPTION")]


def test_options_must_be_valid():
    where, _, errors = rejection([item(0, image_url=URL, options=RenderOptions(saturation=-101)),
                                  item(1, image_url=URL, options=RenderOptions(sheet="napkin")),
                                  item(2, image_url=URL, options=RenderOptions(dpi=50))])
    assert where == [(1, "saturation", "INVALID_OPTION"), (2, "sheet", "PAPER_NOT_FOUND"),
                     (3, "dpi", "INVALID_OPTION")]
    assert "napkin" in errors[1]["message"]


def test_external_id_at_most_200_characters():
    assert check_items([item(0, image_url=URL, external_id="e" * 200)])[0].external_id == "e" * 200
    where, _, _ = rejection([item(0, image_url=URL, external_id="e" * 201)])
    assert where == [(1, "external_id", "BATCH_INVALID")]


def test_inline_image_sizes():
    where, _, _ = rejection([item(0, image=b"x" * 11), item(1, image=b"x" * 10)], max_entry_bytes=10)
    assert where == [(1, "image", "FILE_TOO_LARGE")]
    where, count, _ = rejection([item(0, image=b"x" * 6), item(1, image=b"x" * 6)], max_total_bytes=11)
    assert (where, count) == ([(0, "", "FILE_TOO_LARGE")], 1)


def test_item_count_limits():
    where, _, _ = rejection([])
    assert where == [(0, "", "BATCH_INVALID")]
    items = [item(n, image_url=URL) for n in range(3)]
    assert len(check_items(items, IntakeLimits(max_items=3))) == 3
    where, count, errors = rejection(items, max_items=2)
    assert (where, count) == ([(0, "", "BATCH_INVALID")], 1)
    assert "more than 2" in errors[0]["message"]


def test_all_items_are_checked_and_the_list_is_capped():
    items = [item(n, spec_id=f"xx-{n}", image_url=URL) for n in range(4)]
    where, count, _ = rejection(items, max_errors=3)
    assert count == 4
    assert where == [(1, "spec_id", "SPEC_NOT_FOUND"), (2, "spec_id", "SPEC_NOT_FOUND"),
                     (3, "spec_id", "SPEC_NOT_FOUND")]
