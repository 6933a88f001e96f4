"""Page tokens: offsets for fixed-order lists, (score, member) cursors for newest-first listings."""

from __future__ import annotations

import pytest

from idphoto.errors import InvalidOptionError
from services.gateway.jobs.paging import Cursor, OffsetPage, decode_token, encode_token, offset_page


def test_offset_pages_walk_the_list_and_end_with_no_token():
    assert offset_page("", 0, 250, default_size=100, max_size=500) == OffsetPage(0, 100, "100")
    assert offset_page("200", 100, 250, default_size=100, max_size=500) == OffsetPage(200, 100, "")
    assert offset_page("0", 10_000, 250, default_size=100, max_size=500) == OffsetPage(0, 500, "")
    assert offset_page("-5", 10, 250, default_size=100, max_size=500).start == 0
    with pytest.raises(InvalidOptionError):
        offset_page("zz", 10, 250, default_size=100, max_size=500)


def test_cursor_tokens_round_trip_and_refuse_garbage():
    cursor = Cursor(1700000000.25, "b123")
    assert decode_token(encode_token(cursor)) == cursor and decode_token("") is None
    with pytest.raises(InvalidOptionError):
        decode_token("not-a-token!")
