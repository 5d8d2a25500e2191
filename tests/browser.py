"""A real JupyterLab and a real browser (Debian's chromium) for the browser tests: start, drive, screenshot, stop."""
import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")  # Debian's package; `playwright install` cannot download browsers here
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
SERVER_START = 60  # seconds for JupyterLab to answer /api/status on a loaded machine
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


@contextlib.contextmanager
def jupyterlab(tmp_path: Path, root: Path):
    """JupyterLab on 127.0.0.1 with a random port and token, serving root; always shut down, kernels included."""
    require_browser()
    config = tmp_path / "jupyter-config"
    for name, values in USER_SETTINGS.items():
        path = config / "lab" / "user-settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    # Isolated from the user's Jupyter and IPython set-up, trust database included, so that a notebook is untrusted
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
        yield {"base": base, "token": token, "url": lambda name: f"{base}/lab/tree/{name}?token={token}"}
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


@contextlib.contextmanager
def chromium_page(width: int = 1280, height: int = 900):
    """A chromium page (fresh profile), closed with the browser whatever happens."""
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.set_default_timeout(60_000)
            yield page
        finally:
            browser.close()


def wait_until(page, condition_js: str, timeout: int) -> bool:
    """Wait for a JavaScript condition; False on timeout, so that the assertion after it can say what is wrong."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(condition_js, timeout=timeout)
        return True
    except PlaywrightTimeout:
        return False


STATE_JS = """() => {
    const cells = [...document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell')];
    const prompts = cells.map(c => c.querySelector('.jp-InputArea-prompt').textContent.trim());
    const errors = [...document.querySelectorAll('.jp-NotebookPanel .jp-OutputArea-output[data-mime-type="%s"]')];
    const indicator = document.querySelector('.jp-NotebookPanel .jp-Notebook-ExecutionIndicator');
    return {prompts, errors: errors.map(e => e.textContent.slice(0, 2000)),
            status: indicator ? indicator.dataset.status : null};
}""" % STDERR

SCROLLER = "document.querySelector('.jp-NotebookPanel .jp-WindowedPanel-outer')"  # the notebook's scrolling box


def screenshot(page, path: Path):
    """The whole notebook in one picture: the window is made as tall as the notebook's cells, then put back."""
    viewport = page.viewport_size
    hidden = page.evaluate(f"""() => {{ const scroller = {SCROLLER}; scroller.scrollTop = 0;
        const cells = scroller.querySelectorAll('.jp-Cell');
        return cells[cells.length - 1].getBoundingClientRect().bottom - scroller.getBoundingClientRect().top
               - scroller.clientHeight + 20; }}""")  # below the last cell is only blank scroll-past-end room
    if hidden > 0:
        height = min(viewport["height"] + round(hidden), 16_000)  # a very long notebook is cut at 16,000 px
        page.set_viewport_size({"width": viewport["width"], "height": height})
        page.wait_for_function(f"() => window.innerHeight === {height} && "
                               f"{SCROLLER}.clientHeight > {viewport['height']}")
        page.evaluate(f"() => {{ {SCROLLER}.scrollTop = 0; }}")
    page.screenshot(path=path, full_page=True)
    page.set_viewport_size(viewport)
    print(f"screenshot: {path}")


def menu(page, top: str, item: str):
    page.get_by_role("menuitem", name=top, exact=True).click()
    page.get_by_role("menuitem", name=item, exact=True).click()


def run_all(page, timeout: int) -> dict:
    """Run All from the menu, as a student does, accepting the kernel JupyterLab offers when Run All comes before its
    session has one (on a busy machine); asserts that every cell ran without an error, and returns the page's state."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for _ in range(3):  # on a busy machine JupyterLab may take Run All before its kernel connection is ready and run
        menu(page, "Run", "Run All Cells")  # nothing: asked again, as a student would
        try:
            page.locator(".jp-Dialog").get_by_role("button", name="Select", exact=True).click(timeout=10_000)
        except PlaywrightTimeout:  # the kernel was there in time: no dialog
            pass
        if wait_until(page, f"() => ({STATE_JS})().prompts.some(p => p !== '[ ]:')", 30_000):
            break
    finished = wait_until(page, f"""() => {{ const s = ({STATE_JS})();
        return s.status === 'idle' && s.prompts.every(p => /^\\[\\d+\\]:$/.test(p)); }}""", timeout)
    state = page.evaluate(STATE_JS)
    assert finished and not state["errors"], state
    return state


# The size on screen of every piece of text under a root: [px, characters, kind], kind "heading", "control" (a
# button, the stepper's position), "label" (a diagram's), "code" or "body".
# HTML text is its font size times the scale the page draws it at (reveal.js scales a slide to the window); SVG text
# (a diagram) is its font size through every transform down to the screen.
TEXT_SIZES_JS = r"""(root) => {
    const sizes = [];
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const element = node.parentElement, text = node.textContent.trim();
        if (!text || element.closest('style, script, mjx-assistive-mml')) continue;
        const range = document.createRange();
        range.selectNodeContents(node);
        const box = range.getBoundingClientRect();
        if (!box.width || !box.height || getComputedStyle(element).visibility === 'hidden') continue;
        let size = parseFloat(getComputedStyle(element).fontSize);
        if (element instanceof SVGElement) size *= element.getScreenCTM().a;
        else { // a slide's scale, from the slides' box: an element's own offsetWidth is rounded to a whole pixel
               let sized = element.closest('.reveal .slides') ?? element;
               while (sized && !sized.offsetWidth) sized = sized.parentElement;
               size *= sized ? sized.getBoundingClientRect().width / sized.offsetWidth : 1; }
        const kind = element.closest('h1, h2, h3, .hnn-title, .hnn-step') ? 'heading'
            : element.closest('button, .hnn-controls') ? 'control' : element instanceof SVGElement ? 'label'
            : element.closest('pre, code') && !element.closest('.hnn-lines') ? 'code' : 'body';
        sizes.push([size, text.length, kind]);
    }
    return sizes;
}"""


def text_sizes(sizes) -> tuple[float, float | None]:
    """The smallest size, and the body text's: the size of the median character of what is not a heading, a control,
    a diagram's label or code."""
    body = sorted((size, chars) for size, chars, kind in sizes if kind == "body")
    total, seen = sum(chars for _, chars in body), 0
    for size, chars in body:
        seen += chars
        if seen * 2 >= total:
            return min(size for size, _, _ in sizes), size
    return (min(size for size, _, _ in sizes) if sizes else None), None
