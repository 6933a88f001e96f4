"""Bad inputs end in their typed error — never a traceback, never INTERNAL."""

import pytest
from skimage import data

from idphoto.domain.specs import get_spec
from idphoto.domain.types import RenderOptions
from idphoto.errors import (
    EmptyInputError,
    ImageTooLargeError,
    ImageTooSmallError,
    InvalidImageError,
    NoFaceError,
    SpecNotFoundError,
)
from idphoto.pipeline.run import make_id_photo
from tests.support import variants
from tests.support.images import encode

BAD_INPUTS = {
    "zero-bytes": (lambda: b"", EmptyInputError),
    "text-file": (variants.text_file, InvalidImageError),
    "truncated-jpeg": (variants.truncated_jpeg, InvalidImageError),
    "1x1-png": (lambda: variants.tiny_png(1, 1), ImageTooSmallError),
    "30000x30000-header": (lambda: variants.huge_png_header(30000, 30000), ImageTooLargeError),
    "landscape-no-face": (lambda: encode(data.coffee(), "JPEG"), NoFaceError),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_gets_its_typed_error(clients, name):
    make, error = BAD_INPUTS[name]
    with pytest.raises(error) as info:
        make_id_photo(make(), get_spec("us-passport"), RenderOptions(), clients)
    assert info.value.code != "INTERNAL"
    assert "\n" not in info.value.message


def test_unknown_spec():
    with pytest.raises(SpecNotFoundError):
        get_spec("atlantis-passport")
