"""The page in a real browser against a real mesh: upload the sample portrait, pick us-passport, switch the
background to blue, download the photo and check it (600×600, blue border); the page stays on its own origin
and is usable from the keyboard. A screenshot goes to the test's output dir."""

from __future__ import annotations

from urllib.parse import urlsplit

from PIL import Image
from playwright.sync_api import expect

BLUE = (67, 142, 219)                                   # idphoto/domain/colors.py "blue"


def _close(pixel, target, tolerance=24) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, target))


def _border_is_blue(path) -> None:
    image = Image.open(path).convert("RGB")
    assert image.size == (600, 600)
    width, height = image.size
    top = [image.getpixel((x, 1)) for x in range(0, width, 10)]
    sides = [image.getpixel((x, y)) for y in range(0, height // 3, 10) for x in (1, width - 2)]
    off = [p for p in top + sides if not _close(p, BLUE)]
    assert not off, off[:5]


def _sample(output_dir):
    from edges.sample import sample_portrait

    path = output_dir / "sample_portrait.jpg"
    Image.fromarray(sample_portrait()).save(path, quality=95)
    return path


def test_make_a_blue_us_passport_photo(web_mesh, browser, output_dir):
    base = web_mesh.endpoints.http_url
    page = browser.new_page()
    problems, origins = [], set()
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("request", lambda request: origins.add(urlsplit(request.url).netloc))
    page.goto(base + "/")
    expect(page.locator("#spec-count")).to_contain_text("documents")

    page.get_by_label("Search by country or document").fill("united states")
    expect(page.locator("#spec option[value='us-passport']")).to_have_count(1)
    page.select_option("#spec", "us-passport")
    expect(page.locator("#spec-info")).to_contain_text("600 × 600 px")
    page.set_input_files("#file", _sample(output_dir))
    result = page.locator("#result")
    expect(result).to_have_attribute("data-state", "ready", timeout=120_000)
    expect(page.locator("#photo")).to_have_attribute("alt", "Your ID photo")

    page.get_by_label("Blue", exact=True).check()
    link = page.locator("#download-photo")
    expect(link).to_have_attribute("data-background", "blue", timeout=60_000)
    expect(result).to_have_attribute("data-state", "ready")
    expect(page.locator("#report li").first).to_be_visible()
    expect(page.locator("#report-summary")).to_have_text("Meets the document's rules.")

    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "us-passport.jpg"
    photo = output_dir / "us-passport.jpg"
    download.value.save_as(photo)
    _border_is_blue(photo)
    page.screenshot(path=output_dir / "page.png", full_page=True)
    assert origins == {urlsplit(base).netloc}, origins
    assert not problems, problems


def test_keyboard_reaches_every_step(web_mesh, browser):
    page = browser.new_page()
    page.goto(web_mesh.endpoints.http_url + "/")
    reached = []
    for _ in range(30):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.id || document.activeElement.name || ''"))
    for wanted in ("file", "spec-search", "spec", "background", "brightness", "paper", "max-kb"):
        assert wanted in reached, reached
    page.focus("#spec-search")
    page.keyboard.type("germany passport")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "spec"
    assert page.input_value("#spec") == "germany-passport"


def test_a_turned_head_is_made_but_the_page_says_the_rule_failed(web_mesh, browser, output_dir, face_core):
    from tests.support.images import astronaut
    from tests.support.turned import turned_head

    rgb = astronaut()
    path = output_dir / "turned.jpg"
    Image.fromarray(turned_head(rgb, face_core.analyze(rgb).mesh.points, yaw_deg=25)).save(path, quality=95)
    page = browser.new_page()
    page.goto(web_mesh.endpoints.http_url + "/")
    expect(page.locator("#spec-count")).to_contain_text("documents")
    page.select_option("#spec", "us-passport")
    page.set_input_files("#file", path)
    expect(page.locator("#result")).to_have_attribute("data-state", "ready", timeout=120_000)   # the job succeeded
    summary = page.locator("#report-summary")
    expect(summary).to_contain_text("Does not meet every rule")
    expect(summary).to_contain_text("Head facing the camera (turn)")
    expect(page.locator("#report li.fail")).to_contain_text("Head facing the camera (turn)")
    page.screenshot(path=output_dir / "turned-page.png", full_page=True)
