import pytest

from idphoto.domain.colors import NAMED_COLORS, Background, parse_background, parse_color
from idphoto.errors import InvalidOptionError


def test_parse_color():
    assert parse_color("white") == (255, 255, 255)
    assert parse_color("  Blue ") == (0x43, 0x8E, 0xDB)
    assert parse_color("RED") == (0xD9, 0x00, 0x1B)
    assert parse_color("#1E90ff") == (30, 144, 255)
    assert parse_color("#abc") == (0xAA, 0xBB, 0xCC)
    assert parse_color("light_grey") == NAMED_COLORS["light-grey"]
    for name in ("white", "off-white", "light-grey", "grey", "blue", "light-blue", "red", "cream"):
        assert name in NAMED_COLORS


@pytest.mark.parametrize("bad", ["", "bluish", "#12", "#12345g", "1e90ff", "#1234567", "rgb(1,2,3)"])
def test_parse_color_rejects(bad):
    with pytest.raises(InvalidOptionError):
        parse_color(bad)


def test_parse_background():
    assert parse_background("") == Background("solid", ((255, 255, 255),))
    assert parse_background("", default="blue") == Background("solid", ((67, 142, 219),))
    assert parse_background("#1e90ff").kind == "solid"
    bg = parse_background("vertical:#ffffff,#d0d8e0")
    assert bg == Background("vertical", ((255, 255, 255), (0xD0, 0xD8, 0xE0)))
    assert bg.reference == (232, 236, 240)
    radial = parse_background("Radial: #ffffff , #c8d0d8")
    assert radial.kind == "radial" and radial.colors[-1] == (0xC8, 0xD0, 0xD8)
    assert parse_background("white").reference == (255, 255, 255)
    assert parse_background("solid:red").colors == ((217, 0, 27),)


@pytest.mark.parametrize("bad", ["diagonal:#fff,#000", "vertical:#fff", "vertical:", "solid:#fff,#000",
                                 "vertical:#fff,nope"])
def test_parse_background_rejects(bad):
    with pytest.raises(InvalidOptionError):
        parse_background(bad)
