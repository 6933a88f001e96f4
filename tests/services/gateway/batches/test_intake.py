"""Batch intake from CSV, and telling a CSV from a zip (zip and JSON items: test_intake_items.py)."""

from __future__ import annotations

import pytest

from idphoto.domain.types import RenderOptions
from idphoto.errors import BatchInvalidError
from services.gateway.batches.intake import IntakeLimits, detect_kind, parse_csv

BOM = b"\xef\xbb\xbf"
URL = "https://example.com/a.jpg"


def csv_bytes(*lines: str, newline: str = "\n") -> bytes:
    return (newline.join(lines) + newline).encode("utf-8")


def parse(data: bytes, default_spec_id: str = "", defaults: RenderOptions | None = None, **limits):
    return parse_csv(data, default_spec_id=default_spec_id, defaults=defaults or RenderOptions(),
                     limits=IntakeLimits(**limits))


def rejection(data: bytes, default_spec_id: str = "", defaults: RenderOptions | None = None, **limits):
    with pytest.raises(BatchInvalidError) as caught:
        parse(data, default_spec_id, defaults, **limits)
    assert caught.value.code == "BATCH_INVALID"
    return caught.value.details["errors"], caught.value.details["error_count"]


def where(errors: list[dict]) -> list[tuple[int, str, str]]:
    return [(e["row"], e["column"], e["code"]) for e in errors]


def test_good_csv_with_bom_crlf_quoted_newline_and_blank_line_keeps_file_line_numbers():
    data = BOM + csv_bytes(
        "image_url,spec_id,external_id",
        f'{URL},us-passport,"Smith,\r\nJane"',     # one row over lines 2-3
        "",                                        # line 4 blank: skipped
        " https://example.com/b.png ,uk-passport,b-2",
        ",,",                                      # line 6: empty cells only, skipped too
        "https://example.com/c.png,custom:35x45mm@300,",
        newline="\r\n")
    items = parse(data)
    assert [(i.index, i.row) for i in items] == [(0, 2), (1, 5), (2, 7)]
    assert [i.spec_id for i in items] == ["us-passport", "uk-passport", "custom:35x45mm@300"]
    assert [i.external_id for i in items] == ["Smith,\r\nJane", "b-2", ""]
    assert items[1].image_url == "https://example.com/b.png"
    assert all(i.options == RenderOptions() and i.upload_id == "" and i.image == b"" for i in items)


def test_short_rows_and_empty_trailing_cells_are_fine():
    items = parse(csv_bytes("image_url,spec_id,external_id", f"{URL},us-passport", f"{URL},us-visa,b,,"))
    assert [(i.row, i.spec_id, i.external_id) for i in items] == [(2, "us-passport", ""), (3, "us-visa", "b")]


def test_header_names_are_trimmed_and_case_insensitive():
    items = parse(csv_bytes(" Image_URL ,SPEC_ID,  Brightness", f"{URL},us-passport,7"))
    assert items[0].image_url == URL and items[0].spec_id == "us-passport"
    assert items[0].options.brightness == 7.0


def test_default_spec_used_when_column_is_missing_or_cell_is_empty():
    assert parse(csv_bytes("image_url", URL), default_spec_id="uk-passport")[0].spec_id == "uk-passport"
    items = parse(csv_bytes("image_url,spec_id", f"{URL},", f"{URL},us-visa"), default_spec_id="uk-passport")
    assert [i.spec_id for i in items] == ["uk-passport", "us-visa"]


def test_row_columns_overlay_the_request_defaults_and_are_normalised():
    defaults = RenderOptions(brightness=5.0, format="png", sheet="4r", max_kb=300)
    items = parse(csv_bytes("image_url,spec_id,contrast,format,max_kb,background",
                            f"{URL},us-passport,-20,JPEG,,blue",
                            f"{URL},us-passport,,,,"), defaults=defaults)
    assert items[0].options == RenderOptions(background="blue", brightness=5.0, contrast=-20.0, format="jpg",
                                             max_kb=300, sheet="4r")
    assert items[1].options == RenderOptions(brightness=5.0, format="png", sheet="4r", max_kb=300)


@pytest.mark.parametrize(("cell", "expected"), [("true", True), ("FALSE", False), ("1", True), ("0", False),
                                                 ("Yes", True), ("no", False)])
def test_boolean_cells(cell, expected):
    defaults = RenderOptions(sheet_cut_guides=not expected)
    items = parse(csv_bytes("image_url,spec_id,sheet,sheet_cut_guides", f"{URL},us-passport,4r,{cell}"),
                  defaults=defaults)
    assert items[0].options.sheet_cut_guides is expected


def test_int_and_float_cells():
    items = parse(csv_bytes("image_url,spec_id,max_kb,dpi,saturation,sharpness,sheet_gap_mm,sheet_margin_mm",
                            f"{URL},us-passport,250,+600,-12.5,1e1,1.5,0"))
    options = items[0].options
    assert (options.max_kb, options.dpi) == (250, 600)
    assert isinstance(options.max_kb, int) and isinstance(options.dpi, int)
    assert (options.saturation, options.sharpness, options.sheet_gap_mm, options.sheet_margin_mm) == \
        (-12.5, 10.0, 1.5, 0.0)


def test_every_kind_of_row_error_is_collected_in_file_order():
    long_id = "x" * 201
    data = csv_bytes(
        "image_url,spec_id,external_id,brightness,max_kb,sheet_cut_guides,sheet,format,sheet_gap_mm",
        "ftp://example.com/a.jpg,us-passport,,,,,,,",         # 2 scheme
        f"{URL},xx-nothing,,,,,,,",                           # 3 unknown spec
        f"{URL},us-passport,,abc,,,,,",                       # 4 unparsable float
        f"{URL},us-passport,,150,,,,,",                       # 5 out of range (check_options)
        f"{URL},us-passport,,,,,nosuchpaper,,",               # 6 unknown paper
        f"{URL},us-passport,{long_id},,,,,,",                 # 7 external id too long
        ",us-passport,,,,,,,",                                # 8 no URL
        "https://exa mple.com/a.jpg,us-passport,,,,,,,",      # 9 whitespace in the URL
        "https:///a.jpg,us-passport,,,,,,,",                  # 10 no host
        f"{URL},us-passport,,,1.5,maybe,,,",                  # 11 two bad cells
        f"{URL},us-passport,,,,,,,,surplus",                  # 12 more cells than columns
        f"{URL},us-passport,ok,,,,,,",                        # 13 fine
        "http://[::1/a.jpg,custom:bad,,,,,,gif,nan",          # 14 four problems in one row
        f"https://example.com/{'a' * 2048},us-passport,,,,,,,",  # 15 URL too long
    )
    errors, count = rejection(data)
    assert where(errors) == [
        (2, "image_url", "BATCH_INVALID"), (3, "spec_id", "SPEC_NOT_FOUND"), (4, "brightness", "INVALID_OPTION"),
        (5, "brightness", "INVALID_OPTION"), (6, "sheet", "PAPER_NOT_FOUND"), (7, "external_id", "BATCH_INVALID"),
        (8, "image_url", "BATCH_INVALID"), (9, "image_url", "BATCH_INVALID"), (10, "image_url", "BATCH_INVALID"),
        (11, "max_kb", "INVALID_OPTION"), (11, "sheet_cut_guides", "INVALID_OPTION"), (12, "", "BATCH_INVALID"),
        (14, "image_url", "BATCH_INVALID"), (14, "spec_id", "INVALID_OPTION"), (14, "sheet_gap_mm", "INVALID_OPTION"),
        (14, "format", "INVALID_OPTION"), (15, "image_url", "BATCH_INVALID"),
    ]
    assert count == 17
    messages = [e["message"] for e in errors]
    assert "http or https" in messages[0] and "xx-nothing" in messages[1] and "'abc'" in messages[2]
    assert "between -100" in messages[3] and "200 characters" in messages[5] and "required" in messages[6]
    assert "whitespace" in messages[7] and "no host" in messages[8] and "2048 characters" in messages[16]
    assert "10 cells" in messages[11]


def test_unknown_column_is_named_and_allowed_columns_listed():
    errors, count = rejection(csv_bytes("image_url,spec_id,colour", f"{URL},us-passport,red"))
    assert (where(errors), count) == ([(1, "colour", "BATCH_INVALID")], 1)
    assert "'colour'" in errors[0]["message"]
    assert "background" in errors[0]["message"] and "sheet_cut_guides" in errors[0]["message"]


def test_duplicate_column_is_rejected_whatever_its_case():
    errors, count = rejection(csv_bytes("image_url,spec_id,Image_URL ", f"{URL},us-passport,{URL}"))
    assert (where(errors), count) == ([(1, "image_url", "BATCH_INVALID")], 1)
    assert "more than once" in errors[0]["message"]


def test_missing_required_columns():
    errors, _ = rejection(csv_bytes("url,spec_id", f"{URL},us-passport"))
    assert where(errors) == [(1, "url", "BATCH_INVALID"), (1, "image_url", "BATCH_INVALID")]
    errors, _ = rejection(csv_bytes("image_url", URL))       # no spec column and no default
    assert where(errors) == [(1, "spec_id", "BATCH_INVALID")]


def test_not_utf8_is_a_file_level_error():
    errors, count = rejection("image_url,spec_id\nhttps://example.com/é.jpg,us-passport\n".encode("latin-1"))
    assert (where(errors), count) == ([(0, "", "BATCH_INVALID")], 1)
    assert "UTF-8" in errors[0]["message"]


@pytest.mark.parametrize("data", [b"", b"\r\n\r\n", BOM])
def test_empty_csv(data):
    errors, _ = rejection(data)
    assert where(errors) == [(0, "", "BATCH_INVALID")] and "empty" in errors[0]["message"]


def test_header_only_is_rejected():
    errors, count = rejection(csv_bytes("image_url,spec_id", "", ""))
    assert (where(errors), count) == ([(0, "", "BATCH_INVALID")], 1)
    assert "no data rows" in errors[0]["message"]


def test_exactly_max_items_rows_is_fine():
    assert len(parse(csv_bytes("image_url,spec_id", *[f"{URL},us-passport"] * 3), max_items=3)) == 3


def test_too_many_rows_is_reported_once_without_reading_to_the_end():
    rows = [f"{URL},us-passport"] * 20_000        # ~600 kB, far past the decoder's first chunks
    data = csv_bytes("image_url,spec_id", *rows) + b"\xff\xfe not utf-8 at the very end\n"
    errors, count = rejection(data, max_items=3)
    assert (where(errors), count) == ([(0, "", "BATCH_INVALID")], 1)
    assert "more than 3 rows" in errors[0]["message"]


def test_too_many_rows_lists_the_limit_first_then_earlier_row_errors():
    data = csv_bytes("image_url,spec_id", f"{URL},xx-nothing", f"{URL},us-passport", f"{URL},us-passport")
    errors, count = rejection(data, max_items=2)
    assert (where(errors), count) == ([(0, "", "BATCH_INVALID"), (2, "spec_id", "SPEC_NOT_FOUND")], 2)


def test_max_errors_caps_the_list_but_not_the_count():
    data = csv_bytes("image_url,spec_id", *[f"{URL},xx-{n}" for n in range(5)])
    errors, count = rejection(data, max_errors=2)
    assert count == 5
    assert where(errors) == [(2, "spec_id", "SPEC_NOT_FOUND"), (3, "spec_id", "SPEC_NOT_FOUND")]


def test_detect_kind_by_magic_not_by_name():
    assert detect_kind(b"PK\x03\x04rest", filename="rows.csv") == "zip"
    assert detect_kind(b"PK\x05\x06" + b"\0" * 18) == "zip"
    assert detect_kind(b"image_url,spec_id\n", filename="rows.csv", content_type="text/csv") == "csv"
    assert detect_kind(b"image_url\n") == "csv"


@pytest.mark.parametrize(("filename", "content_type"), [("photos.ZIP", ""), ("", "application/zip; charset=x")])
def test_detect_kind_rejects_a_declared_zip_that_is_not_one(filename, content_type):
    with pytest.raises(BatchInvalidError) as caught:
        detect_kind(b"image_url\n", filename=filename, content_type=content_type)
    assert caught.value.details["errors"][0]["row"] == 0


def test_detect_kind_rejects_empty_data():
    with pytest.raises(BatchInvalidError) as caught:
        detect_kind(b"", filename="a.csv")
    assert caught.value.details["error_count"] == 1
    assert caught.value.details["errors"][0]["message"] == "the batch file is empty"
