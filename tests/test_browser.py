"""The walkthrough notebook in a real JupyterLab and a real browser (Debian's chromium), as a student sees it."""
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import ROOT

WALKTHROUGH = ROOT / "notebooks" / "hacking_neural_networks.ipynb"
CHROMIUM = Path("/usr/bin/chromium")  # Debian's package; `playwright install` cannot download browsers here
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
SERVER_START = 60  # seconds for JupyterLab to answer /api/status on a loaded machine
RUN_ALL = 240_000  # milliseconds for kernel start + Run All; about 30 s is usual on two busy cores
STDERR = "application/vnd.jupyter.stderr"  # JupyterLab renders stderr and error tracebacks with this mime type

# Settings of the throw-away JupyterLab: no news or update checks (no network, no toast over the screenshots).
# Windowing keeps JupyterLab's default ('contentVisibility' in 4.x: every cell is in the page), as for a student.
USER_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
}


def require_browser():
    """Skip without chromium or playwright, except on CI, which must run the browser tests."""
    missing = None
    if not CHROMIUM.exists():
        missing = f"{CHROMIUM} is missing (scripts/install-system-deps installs it)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            missing = "playwright is not installed (pip install -e '.[test]')"
    if missing and os.environ.get("CI"):
        pytest.fail(f"{missing}; CI is set, and CI must run the browser test")
    if missing:
        pytest.skip(missing)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def api(base, token, path, method="GET", timeout=5):
    request = urllib.request.Request(f"{base}{path}", method=method, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        body = response.read()
    return json.loads(body) if body else None


def descendants(pid):
    """Every process started under pid (the kernels), so that none outlives a server that had to be killed."""
    try:
        import psutil  # comes with ipykernel
        return psutil.Process(pid).children(recursive=True)
    except Exception:
        return []


@pytest.fixture
def lab(tmp_path):
    """JupyterLab on 127.0.0.1 with a random port and token, serving a copy of the walkthrough; always shut down."""
    require_browser()
    root = tmp_path / "root"
    root.mkdir()
    notebook = root / WALKTHROUGH.name
    shutil.copyfile(WALKTHROUGH, notebook)  # the committed file is never opened, so never saved over
    config = tmp_path / "jupyter-config"
    for name, values in USER_SETTINGS.items():
        path = config / "lab" / "user-settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    # Isolated from the user's Jupyter and IPython set-up, trust database included, so that the copy is untrusted
    # like a fresh clone; kernelspecs and JupyterLab's assets still come from sys.prefix/share/jupyter.
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(config), JUPYTER_DATA_DIR=str(tmp_path / "jupyter-data"),
               JUPYTER_RUNTIME_DIR=str(tmp_path / "jupyter-runtime"), IPYTHONDIR=str(tmp_path / "ipython"))
    port, token = free_port(), secrets.token_hex(16)
    base = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "jupyter.log"
    command = [
        sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root",  # root in containers
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
        "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    with open(log_path, "w") as log:
        server = subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + SERVER_START
        while True:
            if server.poll() is not None:
                pytest.fail(f"JupyterLab exited with status {server.returncode}:\n{log_path.read_text()[-3000:]}")
            try:
                api(base, token, "/api/status", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not answer within {SERVER_START} s:\n{log_path.read_text()[-3000:]}")
                time.sleep(0.25)
        print(f"JupyterLab log: {log_path}")
        yield {"base": base, "token": token, "notebook": notebook}
    finally:
        kernels = descendants(server.pid)
        if server.poll() is None:
            try:  # a clean stop: the server shuts its kernels down first
                api(base, token, "/api/shutdown", method="POST")
                server.wait(timeout=20)
            except (OSError, subprocess.TimeoutExpired):
                server.terminate()
                try:
                    server.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait()
        for process in kernels:
            try:
                process.kill()
            except Exception:  # already gone, as it should be
                pass


@pytest.fixture
def page(lab):
    """A chromium page (fresh profile), closed with the browser whatever happens."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(60_000)
            yield page
        finally:
            browser.close()


def expected_images(notebook: Path):
    """The mime type JupyterLab shows for each stored image, untrusted (as committed) and trusted (after a run): an
    image's text/html (an <img> with alt text) is shown either way, sanitized when untrusted."""
    outputs = [o for c in json.loads(notebook.read_text())["cells"] for o in c.get("outputs", [])]
    images = [o["data"] for o in outputs if {"image/png", "image/svg+xml"} & set(o.get("data", {}))]
    untrusted = Counter("text/html" if "text/html" in data else "image/png" for data in images)  # untrusted SVG is not shown
    trusted = Counter("text/html" if "text/html" in data else "image/svg+xml" if "image/svg+xml" in data else "image/png"
                      for data in images)
    return len(images), untrusted, trusted


def expected_alts(notebook: Path) -> list[str]:
    """Each image's alt text, as stored: its text/plain, which says what it shows with its numbers."""
    outputs = [o for c in json.loads(notebook.read_text())["cells"] for o in c.get("outputs", [])]
    texts = [o["data"]["text/plain"] for o in outputs if {"image/png", "image/svg+xml"} & set(o.get("data", {}))]
    return ["".join(text) for text in texts]  # a notebook file may store a text as a list of lines


IMAGES_JS = """() => [...document.querySelectorAll('.jp-NotebookPanel .jp-OutputArea-output img')].map(img => {
    const output = img.closest('.jp-OutputArea-output');
    return {mime: output.dataset.mimeType, alt: img.alt, complete: img.complete,
            width: img.naturalWidth, height: img.naturalHeight,
            shown: Math.round(img.getBoundingClientRect().width), room: output.clientWidth, scroll: output.scrollWidth};
})"""

STATE_JS = """() => {
    const cells = [...document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell')];
    const prompts = cells.map(c => c.querySelector('.jp-InputArea-prompt').textContent.trim());
    const errors = [...document.querySelectorAll('.jp-NotebookPanel .jp-OutputArea-output[data-mime-type="%s"]')];
    const indicator = document.querySelector('.jp-NotebookPanel .jp-Notebook-ExecutionIndicator');
    return {prompts, errors: errors.map(e => e.textContent.slice(0, 2000)),
            status: indicator ? indicator.dataset.status : null};
}""" % STDERR


def wait_until(page, condition_js: str, timeout: int) -> bool:
    """Wait for a JavaScript condition; False on timeout, so that the assertion after it can say what is wrong."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(condition_js, timeout=timeout)
        return True
    except PlaywrightTimeout:
        return False


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


SCROLLER = "document.querySelector('.jp-NotebookPanel .jp-WindowedPanel-outer')"  # the notebook's scrolling box


def screenshot(page, path: Path):
    """The whole notebook in one picture: the window is made as tall as the notebook's cells, then put back."""
    hidden = page.evaluate(f"""() => {{ const scroller = {SCROLLER}; scroller.scrollTop = 0;
        const cells = scroller.querySelectorAll('.jp-Cell');
        return cells[cells.length - 1].getBoundingClientRect().bottom - scroller.getBoundingClientRect().top
               - scroller.clientHeight + 20; }}""")  # below the last cell is only blank scroll-past-end room
    if hidden > 0:
        height = min(900 + round(hidden), 16_000)  # a very long notebook is cut at 16,000 px
        page.set_viewport_size({"width": 1280, "height": height})
        page.wait_for_function(f"() => window.innerHeight === {height} && {SCROLLER}.clientHeight > 900")
        page.evaluate(f"() => {{ {SCROLLER}.scrollTop = 0; }}")
    page.screenshot(path=path, full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    print(f"screenshot: {path}")


def menu(page, top: str, item: str):
    page.get_by_role("menuitem", name=top, exact=True).click()
    page.get_by_role("menuitem", name=item, exact=True).click()


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
        check_images(page, count, trusted, alts, "after Run All")
        screenshot(page, tmp_path / "2-after-run-all.png")
    except BaseException:
        try:
            screenshot(page, tmp_path / "failure.png")
        except Exception:  # the page may be too broken for the whole-notebook picture
            page.screenshot(path=tmp_path / "failure.png")
            print(f"screenshot: {tmp_path / 'failure.png'}")
        raise
