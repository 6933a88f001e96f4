"""The documentation names every stable error code (so the table cannot drift from idphoto/errors.py)."""

import re
from pathlib import Path

from idphoto.errors import ERROR_TABLE

ROOT = Path(__file__).resolve().parent.parent


def test_api_doc_lists_every_error_code_with_its_statuses():
    text = (ROOT / "docs" / "api.md").read_text()
    for code, cls in ERROR_TABLE.items():
        assert f"| `{code}` | {cls.grpc_status} | {cls.http_status} |" in text, code


def test_readme_shows_the_two_commands():
    text = (ROOT / "README.md").read_text()
    assert "make demo" in text and "make test" in text


def test_api_doc_error_table_has_each_code_once_and_no_unknown_code():
    text = (ROOT / "docs" / "api.md").read_text()
    rows = re.findall(r"^\| `([A-Z_]+)` \|", text, flags=re.MULTILINE)
    assert len(rows) == len(set(rows)), sorted(code for code in rows if rows.count(code) > 1)
    assert set(rows) == set(ERROR_TABLE)
