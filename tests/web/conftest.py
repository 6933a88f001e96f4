"""The web page's tests: a real mesh (one per module) and Debian's chromium driven by Playwright for Python.

Playwright's own browser download cannot work here, so the browser is /usr/bin/chromium (``make setup`` installs
it with apt when missing) launched headless with a fresh profile; the tests skip, saying why, only when it is not
installed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support.mesh import isolated_mesh

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
                 "--no-first-run", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def web_mesh(tmp_path_factory):
    with isolated_mesh(tmp_path_factory, "web", gateway_workers=1) as mesh:
        yield mesh


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """A Playwright persistent context on Debian's chromium with a fresh user-data-dir."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed and could not be: `make setup` installs Debian's chromium with "
                    "apt-get (root or sudo needed)")
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True, accept_downloads=True,
            viewport={"width": 1280, "height": 1400}, locale="en-US")
        try:
            yield context
        finally:
            context.close()
    shutil.rmtree(profile, ignore_errors=True)
