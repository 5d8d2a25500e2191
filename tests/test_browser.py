"""The walkthrough notebook in a real JupyterLab and a real browser (Debian's chromium), as a student sees it."""
import json
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest

from tests.browser import STATE_JS, chromium_page, jupyterlab, menu, screenshot, wait_until
from tests.conftest import WALKTHROUGH

RUN_ALL = 240_000  # milliseconds for kernel start + Run All; about 30 s is usual on two busy cores


@pytest.fixture
def lab(tmp_path):
    """JupyterLab serving a copy of the walkthrough: the committed file is never opened, so never saved over."""
    root = tmp_path / "root"
    root.mkdir()
    notebook = root / WALKTHROUGH.name
    shutil.copyfile(WALKTHROUGH, notebook)
    with jupyterlab(tmp_path, root) as server:
        yield {**server, "notebook": notebook}


@pytest.fixture
def page(lab):
    with chromium_page() as page:
        yield page


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def expected_images(notebook: Path):
    """The mime type JupyterLab shows for each stored image, untrusted (as committed) and trusted (after a run)."""
    outputs = [o for c in json.loads(notebook.read_text())["cells"] for o in c.get("outputs", [])]
    images = [o["data"] for o in outputs if {"image/png", "image/svg+xml"} & set(o.get("data", {}))]
    untrusted = Counter("text/html" if "text/html" in data else "image/png" for data in images)  # untrusted SVG is not shown
    # Trusted, a widget (the stepper) draws itself instead of its picture.
    trusted = Counter("text/html" if "text/html" in data else "image/svg+xml" if "image/svg+xml" in data else "image/png"
                      for data in images if WIDGET_VIEW not in data)
    return len(images), untrusted, trusted


def expected_alts(notebook: Path, trusted: bool = False) -> list[str]:
    """Each image's alt text, as stored: its text/plain, which says what it shows with its numbers."""
    outputs = [o for c in json.loads(notebook.read_text())["cells"] for o in c.get("outputs", [])]
    texts = [o["data"]["text/plain"] for o in outputs if {"image/png", "image/svg+xml"} & set(o.get("data", {}))
             and not (trusted and WIDGET_VIEW in o["data"])]
    return ["".join(text) for text in texts]  # a notebook file may store a text as a list of lines


IMAGES_JS = """() => [...document.querySelectorAll('.jp-NotebookPanel .jp-OutputArea-output img')].map(img => {
    const output = img.closest('.jp-OutputArea-output');
    return {mime: output.dataset.mimeType, alt: img.alt, complete: img.complete,
            width: img.naturalWidth, height: img.naturalHeight,
            shown: Math.round(img.getBoundingClientRect().width), room: output.clientWidth, scroll: output.scrollWidth};
})"""

def check_images(page, expected_count, expected_mimes, alts, state):
    """Every stored image is rendered, decoded, non-empty, visible once scrolled to, and as wide as the notebook at most."""
    wait_until(page, f"() => ({IMAGES_JS})().filter(i => i.complete && i.width > 0).length >= {expected_count}", 60_000)
    images = page.evaluate(IMAGES_JS)
    assert len(images) == expected_count, f"{state}: {len(images)} images in the page, the notebook has " \
        f"{expected_count} (does JupyterLab's windowing leave cells out of the page?)"
    assert all(i["complete"] and i["width"] > 0 and i["height"] > 0 for i in images), images
    assert Counter(i["mime"] for i in images) == expected_mimes, f"{state}: {images}"
    # What a screen reader says for each image: its alt text, with the numbers it shows.
    assert [i["alt"] for i in images] == alts, f"{state}: {[i['alt'] for i in images]}"
    assert all(re.search(r"\d\.\d{4}", alt) for alt in alts), alts
    assert page.get_by_role("img", name=alts[0], exact=True).count() == 1, "not in the accessibility tree"
    locators = page.locator(".jp-NotebookPanel .jp-OutputArea-output img")
    for n in range(expected_count):
        image = locators.nth(n)
        image.scroll_into_view_if_needed()
        box = image.bounding_box()
        assert box and box["width"] > 50 and box["height"] > 50, f"{state}: image {n} is {box}"
        assert image.is_visible(), f"{state}: image {n} is not visible"
    # An image wider than its output area is cut off at the right edge; the rest shows only by scrolling sideways.
    too_wide = [(n, i["mime"], f"{i['shown']} px wide in {i['room']} px") for n, i in enumerate(images)
                if i["shown"] > i["room"] + 1 or i["scroll"] > i["room"] + 1]
    assert not too_wide, f"{state}: images cut off at the notebook's right edge: {too_wide}"


def test_walkthrough_shows_every_image_then_runs_all_cells_cleanly(lab, page, tmp_path):
    count, untrusted, trusted = expected_images(lab["notebook"])
    assert count and sum(untrusted.values()) == count, "an image without a PNG copy is blank in an untrusted notebook"
    page.goto(f"{lab['base']}/lab/tree/{lab['notebook'].name}?token={lab['token']}")
    try:
        # As committed (untrusted): every diagram and figure shows from its stored PNG before anything runs.
        page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell")
        alts = expected_alts(lab["notebook"])
        check_images(page, count, untrusted, alts, "as committed")
        state = page.evaluate(STATE_JS)
        assert not state["errors"], state["errors"]
        screenshot(page, tmp_path / "1-as-committed.png")

        # Clear every output, then Run All from the menu: the images that come back come from this run.
        menu(page, "Edit", "Clear Outputs of All Cells")
        page.wait_for_function("() => !document.querySelector('.jp-NotebookPanel .jp-OutputArea-output')")
        menu(page, "Run", "Run All Cells")
        finished = wait_until(page, f"""() => {{ const s = ({STATE_JS})();
            return s.status === 'idle' && (s.errors.length > 0 || s.prompts.every(p => /^\\[\\d+\\]:$/.test(p))); }}""",
                              RUN_ALL)
        state = page.evaluate(STATE_JS)
        assert finished, f"Run All did not finish within {RUN_ALL // 1000} s: {state}"
        assert not state["errors"], "\n\n".join(state["errors"])
        assert state["prompts"] == [f"[{n}]:" for n in range(1, len(state["prompts"]) + 1)], state["prompts"]
        # Outputs made in this session are trusted, so JupyterLab now prefers each diagram's SVG.
        check_images(page, sum(trusted.values()), trusted, expected_alts(lab["notebook"], trusted=True), "after Run All")
        screenshot(page, tmp_path / "2-after-run-all.png")
    except BaseException:
        try:
            screenshot(page, tmp_path / "failure.png")
        except Exception:  # the page may be too broken for the whole-notebook picture
            page.screenshot(path=tmp_path / "failure.png")
            print(f"screenshot: {tmp_path / 'failure.png'}")
        raise
