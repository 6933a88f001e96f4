import numpy as np
import pytest

from idphoto.domain.sheets import PAPERS, parse_paper, plan_sheet
from idphoto.errors import InvalidOptionError, PaperNotFoundError
from services.compose.sheet import GUIDE_COLOR, render_sheet


def _photo(w: int, h: int) -> np.ndarray:
    rng = np.random.default_rng(w * 7 + h)
    img = rng.integers(0, 256, (h, w, 3)).astype(np.uint8)
    img[0, :] = 255                    # white and guide-grey edges must still be kept exactly
    img[:, 0] = GUIDE_COLOR
    return img


def _rects_disjoint(positions, w, h) -> bool:
    for i, (x1, y1) in enumerate(positions):
        for x2, y2 in positions[i + 1:]:
            if x1 < x2 + w and x2 < x1 + w and y1 < y2 + h and y2 < y1 + h:
                return False
    return True


def _check_sheet(photo: np.ndarray, layout) -> np.ndarray:
    h, w = photo.shape[:2]
    sheet = render_sheet(photo, layout)
    assert sheet.shape == (layout.height_px, layout.width_px, 3) and sheet.dtype == np.uint8
    covered = np.zeros(sheet.shape[:2], bool)
    for x, y in layout.positions:
        assert 0 <= x and 0 <= y and x + w <= layout.width_px and y + h <= layout.height_px
        assert np.array_equal(sheet[y:y + h, x:x + w], photo)
        covered[max(y - 1, 0):y + h + 1, max(x - 1, 0):x + w + 1] = True      # copy plus a 1 px ring
    outside = sheet[~covered]
    is_white = np.all(outside == 255, axis=1)
    is_guide = np.all(outside == GUIDE_COLOR, axis=1)
    assert np.all(is_white | is_guide)                # nothing but paper and guides outside the copies
    assert is_guide.any()                             # guides are drawn
    ring = np.zeros(sheet.shape[:2], bool)
    for x, y in layout.positions:
        ring[max(y - 1, 0):y + h + 1, max(x - 1, 0):x + w + 1] = True
        ring[y:y + h, x:x + w] = False
    assert np.all(sheet[ring] == 255)                 # guides never touch a copy (one white px between)
    return sheet


def test_papers_known_sizes():
    assert PAPERS["4r"] == (101.6, 152.4) and PAPERS["5x7"] == (127.0, 177.8)
    assert PAPERS["a4"] == (210.0, 297.0) and PAPERS["letter"] == (215.9, 279.4)
    assert all(w <= h for w, h in PAPERS.values())
    assert parse_paper(" 4R ") == (101.6, 152.4) and parse_paper("4x6") == (101.6, 152.4)
    assert parse_paper("custom:100x150") == (100.0, 150.0)
    assert parse_paper("CUSTOM:89.5X127") == (89.5, 127.0)


def test_4r_at_300dpi_for_35x45mm_photo():
    photo = _photo(413, 531)
    layout = plan_sheet(413, 531, "4r", dpi=300)
    assert {layout.width_px, layout.height_px} == {1200, 1800}
    assert (layout.width_px, layout.height_px) == (1800, 1200)        # landscape fits 4x2, portrait only 2x3
    assert (layout.cols, layout.rows) == (4, 2) and len(layout.positions) == layout.count == 8
    assert _rects_disjoint(layout.positions, 413, 531)
    xs = sorted({x for x, _ in layout.positions})
    ys = sorted({y for _, y in layout.positions})
    assert np.diff(xs).tolist() == [413 + 24] * 3 and np.diff(ys).tolist() == [531 + 24]   # 2 mm gap = 24 px
    left, right = xs[0], 1800 - (xs[-1] + 413)
    top, bottom = ys[0], 1200 - (ys[-1] + 531)
    # centred, and at least the 3 mm (35 px) margin
    assert abs(left - right) <= 1 and abs(top - bottom) <= 1 and min(left, top) >= 35
    _check_sheet(photo, layout)


def test_square_photo_on_4r():
    photo = _photo(600, 600)
    layout = plan_sheet(600, 600, "4r", dpi=300)
    assert (layout.width_px, layout.height_px) == (1200, 1800)          # portrait first on a tie
    assert (layout.cols, layout.rows) == (1, 2) and layout.count == 2
    assert _rects_disjoint(layout.positions, 600, 600)
    _check_sheet(photo, layout)


def test_a4_and_custom_paper():
    layout = plan_sheet(413, 531, "a4", dpi=300)
    assert {layout.width_px, layout.height_px} == {2480, 3508} and (layout.cols, layout.rows) == (5, 6)
    _check_sheet(_photo(413, 531), layout)
    custom = plan_sheet(200, 300, "custom:100x150", dpi=100, gap_mm=0, margin_mm=0)
    assert {custom.width_px, custom.height_px} == {394, 591}
    assert custom.count == 2 and _rects_disjoint(custom.positions, 200, 300)
    sheet = render_sheet(_photo(200, 300), custom)
    for x, y in custom.positions:
        assert np.array_equal(sheet[y:y + 300, x:x + 200], _photo(200, 300))


def test_no_guides_when_disabled():
    photo = _photo(413, 531)
    layout = plan_sheet(413, 531, "4r")
    sheet = render_sheet(photo, layout, cut_guides=False)
    mask = np.ones(sheet.shape[:2], bool)
    for x, y in layout.positions:
        mask[y:y + 531, x:x + 413] = False
    assert np.all(sheet[mask] == 255)


def test_unknown_and_bad_papers():
    with pytest.raises(PaperNotFoundError):
        parse_paper("b7")
    with pytest.raises(PaperNotFoundError):
        plan_sheet(413, 531, "tabloidish")
    for bad in ("", "custom:", "custom:100", "custom:0x150", "custom:-1x2", "custom:axb", "custom:5000x100"):
        with pytest.raises(InvalidOptionError):
            parse_paper(bad)


def test_photo_too_big_for_paper():
    with pytest.raises(InvalidOptionError):
        plan_sheet(2000, 2000, "4r", dpi=300)
    with pytest.raises(InvalidOptionError):
        plan_sheet(413, 531, "4r", gap_mm=-1)


def test_best_sheet_prints_edge_to_edge_only_when_more_copies_fit():
    from idphoto.domain.sheets import plan_best_sheet

    square = plan_best_sheet(600, 600, "4r", dpi=300)
    assert square.cols * square.rows == 6                      # 2x2 in: edge to edge beats 2 spaced copies
    schengen = plan_best_sheet(413, 531, "4r", dpi=300)
    assert schengen.cols * schengen.rows == 8                  # 35x45 mm: 8 fit with the default spacing too
    assert schengen.positions == plan_sheet(413, 531, "4r", 300, 2.0, 3.0).positions
    explicit = plan_best_sheet(600, 600, "4r", dpi=300, gap_mm=2.0)
    assert explicit.cols * explicit.rows == 2                  # a caller's spacing is respected
