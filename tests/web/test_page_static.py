"""The page's files without a browser: nothing fetched from another origin (the page works offline), no inline
script or style (the CSP forbids them), and every form control has a label."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

WEB = Path(__file__).resolve().parents[2] / "services" / "gateway" / "api" / "web"
EXTERNAL = re.compile(r"""(?:https?:)?//(?!www\.w3\.org/2000/svg)[\w.-]+""")


class Controls(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict] = []
        self.labels_for: set[str] = set()
        self.open_labels = 0
        self.inline: list[str] = []
        self.lang = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang", "")
        if tag == "label":
            self.open_labels += 1
            if attrs.get("for"):
                self.labels_for.add(attrs["for"])
        if tag in ("input", "select", "textarea"):
            self.controls.append({**attrs, "_in_label": self.open_labels > 0})
        if "style" in attrs or any(name.startswith("on") for name in attrs):
            self.inline.append(f"{tag} {sorted(attrs)}")
        if tag == "script" and "src" not in attrs:
            self.inline.append("inline <script>")
        if tag == "style":
            self.inline.append("inline <style>")

    def handle_endtag(self, tag):
        if tag == "label":
            self.open_labels -= 1


def test_no_external_resources():
    files = [p for p in WEB.iterdir() if p.suffix in {".html", ".js", ".css", ".svg"}]
    assert {p.name for p in files} >= {"index.html", "app.js", "api.js", "report.js", "style.css", "favicon.svg"}
    for path in files:
        text = path.read_text()
        assert not EXTERNAL.findall(text), (path.name, EXTERNAL.findall(text))
        assert "@import" not in text and "cdn" not in text.lower()


def test_every_control_is_labelled_and_nothing_is_inline():
    parser = Controls()
    parser.feed((WEB / "index.html").read_text())
    assert parser.lang == "en"
    assert not parser.inline, parser.inline
    assert len(parser.controls) >= 15
    for control in parser.controls:
        labelled = control.get("id") in parser.labels_for or control["_in_label"] or control.get("aria-label")
        assert labelled, control


def test_scripts_load_in_order_and_the_api_paths_exist():
    html = (WEB / "index.html").read_text()
    order = [html.index(f"/web/{name}") for name in ("api.js", "report.js", "app.js")]
    assert order == sorted(order)
    api = (WEB / "api.js").read_text()
    for needed in ("/v1/uploads", "/v1/jobs/", ":watch", "EventSource", "afterEventId"):
        assert needed in api
