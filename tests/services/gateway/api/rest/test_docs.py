"""docs/rest.md names every REST route with its RPC (derived from the same descriptors), and the README's
screenshot of the page exists."""

from __future__ import annotations

import re
from pathlib import Path

from services.gateway.api.rest.descriptors import load_surface

ROOT = Path(__file__).resolve().parents[5]
ROW = re.compile(r"^\| `(GET|POST|PUT|PATCH|DELETE) (/\S+)` \| `(\w+)`", re.MULTILINE)


def test_route_table_matches_the_http_rules():
    documented = {(verb, path, rpc) for verb, path, rpc in ROW.findall((ROOT / "docs" / "rest.md").read_text())}
    derived = {(b.verb, b.template.source, m.name) for m in load_surface().methods for b in m.bindings}
    assert documented == derived


def test_screenshots_are_there():
    readme = (ROOT / "README.md").read_text()
    for text in (readme, (ROOT / "docs" / "rest.md").read_text()):
        for image in re.findall(r"!\[[^\]]+\]\(([^)]+)\)", text):
            base = ROOT if text is readme else ROOT / "docs"
            assert (base / image).is_file(), image
    assert "docs/images/web-page.png" in readme and "docs/rest.md" in readme
