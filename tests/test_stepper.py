"""The training stepper: its checks and display bundle in Python, then in real chromium: stepping in JupyterLab with a
kernel, the refreshed notebook opened with none running, and the HTML handout from file:// with the network blocked.
The frames come from tests/stepper_data.py (a plain-float replay), so each drawn frame is compared with numbers
that hnn did not compute."""
import base64
import html
import json
import re
import shutil
import subprocess
import sys

import nbformat
import pytest
import traitlets
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from hnn.notebook.stepper import WIDGET_VIEW, Stepper, is_stepper, standalone_html
from tests.browser import STATE_JS, chromium_page, jupyterlab, menu, run_all, wait_until
from tests.conftest import ROOT
from tests.stepper_data import frames, tagged_svg

REFRESH = ROOT / "scripts" / "refresh-notebooks"
EXPORT = ROOT / "scripts" / "export-handouts"
SVG = tagged_svg()
FRAMES = frames()
SLOTS = sorted(set(re.findall(r'data-slot="([^"]+)"', SVG)))
STEPPER = ".jp-NotebookPanel .hnn-stepper"
CELLS = [  # the data travel as a JSON file beside the notebook: the kernel need not import the tests
    "import json\nfrom hnn.notebook.stepper import Stepper\n\ndata = json.load(open('stepper.json'))",
    "stepper = Stepper(data['svg'], data['frames'], picture=data['picture'])\nstepper",
]
RUN_ALL = 240_000  # milliseconds for kernel start and both cells (importing torch) on two busy cores
WIDGET_ERROR = re.compile(r"Error displaying widget|model not found", re.IGNORECASE)

# What the stepper shows, read from the page: every slot's text, the names highlighted, the lines, the position.
DRAWN_JS = """(root) => {
    const slots = {};
    for (const text of root.querySelectorAll('text[data-slot]')) slots[text.dataset.slot] = text.textContent;
    const marked = (style) => [...root.querySelectorAll('g.' + style)].map(g => g.dataset.node ?? g.dataset.edge).sort();
    return {slots, read: marked('hnn-read'), write: marked('hnn-write'), step: root.querySelector('.hnn-step').textContent,
            lines: [...root.querySelectorAll('.hnn-line')].map(line => line.textContent).join('\\n'),
            where: root.querySelector('.hnn-where').textContent,
            slider: Number(root.querySelector('input[type=range]').value)};
}"""

# The size on screen of the diagram's smallest text: its font size through every transform down to the page.
SMALLEST_TEXT_JS = """(root) => Math.min(...[...root.querySelectorAll('svg text')].filter(t => t.textContent.trim())
    .map(t => parseFloat(t.getAttribute('font-size')) * t.getScreenCTM().a))"""


def expected(index: int) -> dict:
    """Frame index as the stepper must draw it: the frame's own slots, and every other slot blank."""
    frame = FRAMES[index]
    epochs = list(dict.fromkeys(f["epoch"] for f in FRAMES))
    return {"slots": {slot: frame["slots"].get(slot, "") for slot in SLOTS}, "read": sorted(frame["read"]),
            "write": sorted(frame["write"]), "step": frame["step"], "lines": "\n".join(frame["lines"]),
            "slider": epochs.index(frame["epoch"])}


def drawn(page, root: str) -> dict:
    state = page.locator(root).evaluate(DRAWN_JS)
    del state["where"]
    return state


def first_picture() -> str:
    import hnn
    from hnn.views.diagram import network
    from hnn.views.render import render

    return render([network(hnn.train(), 0).source])[0].decode()


# Python side: what the widget accepts, and what it puts in a notebook.

def test_bad_data_is_refused_in_one_line_naming_the_argument():
    for args, message in [
        (("not svg", FRAMES), "svg must be the text of an SVG diagram, got str"),
        ((SVG, []), "frames must be a non-empty list of dicts"),
        ((SVG, [{"epoch": 1, "step": "STEP 0"}]),
         "frames[0] must be a dict with epoch, step, lines, slots, read, write; it lacks lines, slots, read, write"),
        ((SVG, FRAMES, b"GIF89a"), "picture must be the text of an SVG image or None, got bytes"),
    ]:
        with pytest.raises(ValueError) as error:
            Stepper(*args)
        assert str(error.value) == message
    stepper = Stepper(SVG, FRAMES)
    with pytest.raises(traitlets.TraitError, match=rf"^index must be from 0 to {len(FRAMES) - 1}, got {len(FRAMES)}$"):
        stepper.index = len(FRAMES)


def test_bundle_holds_the_widget_the_first_frame_as_a_picture_and_stable_text():
    picture = first_picture()
    stepper = Stepper(SVG, FRAMES, picture=picture)
    data, _ = stepper._repr_mimebundle_()
    assert data[WIDGET_VIEW]["model_id"] == stepper.model_id
    # text/html: the picture with its alt text, inside the element the snippet steps where scripts run but no widget
    # does (RISE's slideshow), with the stepper's own data
    shown = re.match(rf'<div id="hnn-stepper-{stepper.model_id}"><img src="data:image/svg\+xml;base64,([^"]*)"'
                     r' alt="([^"]*)"></div>', data["text/html"])
    assert base64.b64decode(shown.group(1)).decode() == picture and html.unescape(shown.group(2)) == data["text/plain"]
    state = re.search(r'<script type="application/json" id="hnn-stepper-\w+-state">(.*?)</script>', data["text/html"])
    assert json.loads(state.group(1)) == {"svg": SVG, "frames": FRAMES, "index": 0, "label": "Step through training"}
    assert '<script type="module">' in data["text/html"]
    size = re.compile(r'<svg width="[^"]*"( height="[^"]*")?')
    assert size.sub("<svg", data["image/svg+xml"]) == size.sub("<svg", picture)  # the picture, only its size changed
    assert data["text/plain"] == (f"Training stepper: {len(FRAMES)} frames over 3 epochs and the trained network. Run"
                                  " the cell in JupyterLab to step with Previous, Next, Play, Predict, the epoch slider,"
                                  " or the keys ← → (a step), ↑ ↓ (an epoch) and Space."
                                  f" First frame: {FRAMES[0]['step']}: {FRAMES[0]['lines'][-1]}")
    assert not {"image/svg+xml", "text/html"} & set(Stepper(SVG, FRAMES)._repr_mimebundle_()[0])


def test_equal_steppers_in_one_kernel_get_their_own_model_ids():
    first, second = Stepper(SVG, FRAMES), Stepper(SVG, FRAMES)
    ids = {first.model_id, second.model_id, first.layout.model_id, second.layout.model_id}
    assert len(ids) == 4


def test_standalone_snippet_carries_the_state_safely_inside_script_elements():
    tricky = [{**FRAMES[0], "lines": ["</script><b>not markup</b>"]}]
    snippet = standalone_html("abc", {"svg": SVG, "frames": tricky, "index": 0, "label": "Step", "_esm": "ignored"})
    state = re.search(r'<script type="application/json" id="hnn-stepper-abc-state">(.*?)</script>', snippet, re.DOTALL)
    assert json.loads(state.group(1)) == {"svg": SVG, "frames": tricky, "index": 0, "label": "Step"}
    assert snippet.count("</script>") == 2  # only the two elements' own end tags


# The committed-style notebook: refreshed twice, it is the same file.

@pytest.fixture(scope="module")
def refreshed(tmp_path_factory):
    """A small notebook with the stepper, run by scripts/refresh-notebooks twice: (path, first bytes, second bytes)."""
    folder = tmp_path_factory.mktemp("notebook")
    (folder / "stepper.json").write_text(json.dumps({"svg": SVG, "frames": FRAMES, "picture": first_picture()}))
    path = folder / "stepper.ipynb"
    nbformat.write(new_notebook(cells=[new_markdown_cell("# Stepper"), *map(new_code_cell, CELLS)]), path)
    runs = []
    for _ in range(2):
        subprocess.run([sys.executable, REFRESH, path], check=True, capture_output=True)
        runs.append(path.read_bytes())
    return path, *runs


def test_two_refreshes_are_byte_identical_and_store_state_github_accepts(refreshed):
    _, first, second = refreshed
    assert first == second
    nb = nbformat.reads(first.decode(), as_version=4)
    models = nb.metadata.widgets["application/vnd.jupyter.widget-state+json"]["state"]  # GitHub needs "state"
    output = nb.cells[2].outputs[0]
    assert {"image/svg+xml", "text/html", "text/plain", WIDGET_VIEW} <= set(output.data)
    stepper = models[output.data[WIDGET_VIEW]["model_id"]]
    assert is_stepper(stepper) and stepper["state"]["frames"] == FRAMES and stepper["state"]["svg"] == SVG


# In the browser.

@pytest.fixture
def lab(refreshed, tmp_path):
    """JupyterLab serving a copy of the refreshed notebook and its data: untrusted, like a fresh clone."""
    root = tmp_path / "root"
    root.mkdir()
    for name in ("stepper.ipynb", "stepper.json"):
        shutil.copyfile(refreshed[0].parent / name, root / name)
    with jupyterlab(tmp_path, root) as server:
        yield {**server, "root": root}


def index_shown(page, root: str) -> int:
    """The frame the stepper says it shows: 'epoch 2 of 3 · step 4 of 5' is epoch 2's fourth."""
    epoch, step = map(int, re.search(r"epoch (\d+) of \d+ · step (\d+) of", page.locator(f"{root} .hnn-where")
                                     .text_content()).groups())
    return next(i for i, f in enumerate(FRAMES) if f["epoch"] == epoch) + step - 1


def step_through_every_frame(page, root: str):
    """Next from the first frame to the last, each frame compared with the replay; then the keys: ← →, ↓ ↑ (an
    epoch), and Space, which plays also right after a click on Next."""
    assert drawn(page, root) == expected(0)
    stepper = page.locator(root)
    assert stepper.get_attribute("role") == "region" and stepper.get_attribute("aria-label") == "Step through training"
    for index in range(1, len(FRAMES)):
        stepper.get_by_role("button", name="Next").click()
        assert drawn(page, root) == expected(index), f"frame {index}"
    assert stepper.get_by_role("button", name="Next").is_disabled()
    stepper.focus()
    page.keyboard.press("ArrowLeft")
    assert drawn(page, root) == expected(len(FRAMES) - 2)
    page.keyboard.press("ArrowRight")
    assert drawn(page, root) == expected(len(FRAMES) - 1)
    stepper.locator("input[type=range]").focus()
    page.keyboard.press("Home")  # the slider jumps to the first frame of an epoch
    assert drawn(page, root) == expected(0)
    page.keyboard.press("ArrowRight")
    second = next(i for i, f in enumerate(FRAMES) if f["epoch"] == 2)
    assert drawn(page, root) == expected(second)
    stepper.focus()
    page.keyboard.press("ArrowDown")  # the next epoch's first step
    assert drawn(page, root) == expected(next(i for i, f in enumerate(FRAMES) if f["epoch"] == 3))
    page.keyboard.press("ArrowUp")
    assert drawn(page, root) == expected(second)
    assert stepper.locator(".hnn-where").text_content() == "epoch 2 of 3 · step 1 of 5"
    stepper.get_by_role("button", name="Next").click()
    page.keyboard.press("Space")  # plays, although Next has the focus: Space is Play, as the help says
    assert stepper.get_by_role("button", name="Pause").is_visible()
    start = page.locator(f"{root} .hnn-where").text_content()
    page.wait_for_function(f"() => document.querySelector('{root} .hnn-where').textContent !== {json.dumps(start)}")
    page.keyboard.press("Space")
    assert stepper.get_by_role("button", name="Play").is_visible()


# Each line of the frame shown that is out of sight: outside the window, or scrolled out of the stepper's panel.
HIDDEN_LINES_JS = """(root) => { const panel = root.querySelector('.hnn-panel').getBoundingClientRect();
    return [...root.querySelectorAll('.hnn-step, .hnn-line')].filter(line => { const r = line.getBoundingClientRect();
        return r.top < Math.max(panel.top, 0) - 1 || r.bottom > Math.min(panel.bottom, innerHeight) + 1
            || r.left < 0 || r.right > innerWidth + 1; }).map(line => line.textContent); }"""


def every_line_in_view(page, root: str):
    """Every frame of epoch 1, the step's name and each of its lines inside the window and the panel, none scrolled
    away: what a class sees on a 1280 x 720 projector with JupyterLab's file browser open beside the notebook."""
    stepper = page.locator(root)
    stepper.locator("input[type=range]").focus()
    page.keyboard.press("Home")
    stepper.scroll_into_view_if_needed()
    for index in range(sum(1 for frame in FRAMES if frame["epoch"] == 1)):
        assert drawn(page, root) == expected(index), f"frame {index}"
        hidden = stepper.evaluate(HIDDEN_LINES_JS)
        assert not hidden, f"frame {index} ({FRAMES[index]['step']}): out of sight: {hidden}"
        stepper.get_by_role("button", name="Next").click()
    stepper.locator("input[type=range]").focus()
    page.keyboard.press("Home")  # back to the first frame


def predict(page, root: str):
    """Predict asks for n before it shows it: right, wrong, and a sign error, each judged against the replay's numbers
    and named, the slot blank until the answer is in."""
    stepper = page.locator(root)
    stepper.locator("input[type=range]").focus()
    page.keyboard.press("Home")
    toggle = stepper.get_by_role("button", name="Predict")
    toggle.click()
    assert toggle.get_attribute("aria-pressed") == "true"
    n = FRAMES[1]["ask"]["answer"]
    for typed, said in [(n, f"Right: n = {n}."),
                        (FRAMES[1]["ask"]["mistakes"][0][0], "That has the wrong sign."),  # −n
                        ("12.5", None)]:
        stepper.get_by_role("button", name="Previous").click() if index_shown(page, root) else None
        assert index_shown(page, root) == 0
        stepper.get_by_role("button", name="Next").click()
        field = stepper.get_by_role("textbox", name="Your value of n")
        assert field.is_visible() and drawn(page, root)["slots"]["n.2"] == "", "n is asked for before it is shown"
        field.fill(typed)
        field.press("Enter")
        verdict = stepper.locator(".hnn-feedback").text_content()
        if said is None:
            off = abs(12.5 - float(n.replace("\u2212", "-")))
            assert verdict == f"Off by {f'{off:.6f}'.rstrip('0')}. n = {n}.", verdict
        else:
            assert said in verdict, verdict
        assert drawn(page, root) == expected(1)  # and then the frame itself
    toggle.click()
    assert toggle.get_attribute("aria-pressed") == "false"


def test_in_jupyterlab_with_a_kernel_every_frame_steps_and_python_sees_the_index(lab, tmp_path):
    notebook = lab["root"] / "stepper.ipynb"  # a third cell, run last: Python reads the index and sets it
    nb = nbformat.read(notebook, as_version=4)
    nb.cells.append(new_code_cell("print('index', stepper.index)\nstepper.index = 2"))
    nbformat.write(nb, notebook)
    with chromium_page(1280, 720) as page:
        page.goto(lab["url"]("stepper.ipynb"))
        last = page.locator(".jp-NotebookPanel .jp-CodeCell").nth(2)
        page.wait_for_selector(".jp-NotebookPanel .jp-OutputArea-output img")  # the notebook is drawn
        assert wait_until(page, f"() => ({STATE_JS})().status === 'idle'", RUN_ALL), "the kernel did not start"
        last.locator(".jp-InputPrompt").click()
        page.wait_for_function("() => document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell')[2]"
                               ".classList.contains('jp-mod-selected')")
        # On a loaded machine JupyterLab may take the first request before its kernel connection is ready, and then
        # run nothing: ask again once the first try has had time, as a student would.
        for _ in range(3):
            menu(page, "Run", "Run All Above Selected Cell")
            if wait_until(page, f"() => document.querySelector('{STEPPER}')", RUN_ALL // 3):
                break
        if not wait_until(page, f"() => document.querySelector('{STEPPER}')", 1000):
            page.screenshot(path=tmp_path / "failure.png")
            pytest.fail(f"no stepper after running the first two cells: {page.evaluate(STATE_JS)}")
        if not page.locator(".jp-FileBrowser").is_visible():  # the file browser open, as JupyterLab starts
            page.get_by_role("tab", name="File Browser").first.click()
        assert page.locator(".jp-FileBrowser").is_visible()
        page.locator(STEPPER).scroll_into_view_if_needed()
        page.screenshot(path=tmp_path / "jupyterlab-1280x720.png")
        every_line_in_view(page, STEPPER)
        print(f"smallest diagram text at 1280x720: {page.locator(STEPPER).evaluate(SMALLEST_TEXT_JS):.1f} px")
        step_through_every_frame(page, STEPPER)
        predict(page, STEPPER)
        page.keyboard.press("ArrowDown")
        shown = index_shown(page, STEPPER)
        last.locator(".jp-InputPrompt").click()
        page.keyboard.press("Shift+Enter")
        assert wait_until(page, f"() => document.querySelector('{STEPPER} .hnn-where').textContent.endsWith("
                                f"'step 3 of 5')", 30_000), page.evaluate(STATE_JS)
        assert drawn(page, STEPPER) == expected(2)
        assert last.locator(".jp-OutputArea-output").text_content().strip() == f"index {shown}"
        page.set_viewport_size({"width": 1366, "height": 768})
        page.locator(STEPPER).scroll_into_view_if_needed()
        page.screenshot(path=tmp_path / "jupyterlab-1366x768.png")
        assert not page.evaluate(STATE_JS)["errors"]


def test_committed_notebook_without_a_kernel_shows_the_picture_and_no_widget_error(lab, tmp_path):
    with chromium_page(1280, 720) as page:
        page.goto(lab["url"]("stepper.ipynb"))
        output = page.locator(".jp-NotebookPanel .jp-OutputArea-output").first
        image = output.locator("img")
        image.wait_for()
        # JupyterLab draws widgets only in trusted notebooks; here it shows the <img> with its alt text.
        assert output.get_attribute("data-mime-type") == "text/html"
        assert image.evaluate("img => img.complete && img.naturalWidth > 500")
        page.wait_for_timeout(2000)  # time for a widget error to show, if one were coming
        assert not WIDGET_ERROR.search(page.locator("body").inner_text())
        page.screenshot(path=tmp_path / "untrusted.png")


def test_html_handout_steps_from_file_with_the_network_blocked(refreshed, tmp_path):
    out = tmp_path / "out"
    subprocess.run([sys.executable, EXPORT, "html", refreshed[0], out], check=True, capture_output=True)
    page_file = out / "stepper.html"
    assert "@jupyter-widgets/html-manager" not in page_file.read_text()  # no widget manager from a CDN
    with chromium_page(1280, 720) as page:
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
        page.goto(page_file.as_uri())
        page.wait_for_selector(".hnn-stepper")
        step_through_every_frame(page, ".hnn-stepper")
        predict(page, ".hnn-stepper")
        page.screenshot(path=tmp_path / "handout.png")


# The hidden-layer lesson's own stepper, as its committed notebook makes it: every frame against the 2-2-2 replay.

HIDDEN_LAYER = ROOT / "notebooks" / "hidden_layer.ipynb"


def walk(page, root: str) -> list[dict]:
    """Next from the first frame to the last: each frame as drawn, with its epoch read off the stepper's own line."""
    stepper, shown = page.locator(root), []
    while True:
        state = stepper.evaluate(DRAWN_JS)
        epoch = re.match(r"epoch (\d+) of", state["where"])
        shown.append({"epoch": int(epoch[1]) if epoch else 0, "step": state["step"], "lines": state["lines"].split("\n"),
                      "slots": state["slots"]})
        if stepper.get_by_role("button", name="Next").is_disabled():
            return shown
        stepper.get_by_role("button", name="Next").click()


def assert_walked_as_replayed(shown: list[dict]):
    """The lesson's 100 epochs of Mazur's network: each frame as the replay says, and each hidden value's gradient
    reached along each of its two paths, a frame each, then their sum."""
    from tests.plain import replay_hidden_layer
    from tests.test_networks import assert_stepped_as_replayed

    *replay, trained = replay_hidden_layer(101, 0.5)
    said = assert_stepped_as_replayed(shown, replay, trained)
    assert {"dL/dh1 via no1", "dL/dh1 via no2", "dL/dh1", "dL/dh2 via no1", "dL/dh2 via no2", "dL/dh2", "new w1"} <= said
    assert {frame["epoch"] for frame in shown} >= {1, 100, 0}


def show_hidden_delta(page, root: str):
    """Back to epoch 1's frame that adds h1's two paths: the frame a screenshot of the backward pass should show."""
    stepper = page.locator(root)
    stepper.locator("input[type=range]").focus()
    page.keyboard.press("Home")
    while not stepper.locator(".hnn-line").last.text_content().startswith("dL/dh1 = "):
        stepper.get_by_role("button", name="Next").click()


def test_the_hidden_layers_stepper_in_jupyterlab_steps_as_the_replay(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    shutil.copyfile(HIDDEN_LAYER, root / HIDDEN_LAYER.name)
    with jupyterlab(tmp_path, root) as lab, chromium_page(1280, 720) as page:
        page.goto(lab["url"](HIDDEN_LAYER.name))
        page.wait_for_selector(".jp-NotebookPanel .jp-OutputArea-output img")  # the notebook is drawn
        run_all(page, RUN_ALL)
        page.locator(STEPPER).scroll_into_view_if_needed()
        assert_walked_as_replayed(walk(page, STEPPER))
        show_hidden_delta(page, STEPPER)
        page.locator(STEPPER).scroll_into_view_if_needed()
        page.screenshot(path=tmp_path / "hidden-layer-1280x720.png")
        page.set_viewport_size({"width": 1366, "height": 768})
        page.locator(STEPPER).scroll_into_view_if_needed()
        page.screenshot(path=tmp_path / "hidden-layer-1366x768.png")
    print(f"screenshots: {tmp_path}")


def test_the_hidden_layers_stepper_in_its_html_handout_steps_as_the_replay_offline(tmp_path):
    subprocess.run([sys.executable, EXPORT, "html", HIDDEN_LAYER, tmp_path], check=True, capture_output=True)
    with chromium_page(1280, 720) as page:
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
        page.goto((tmp_path / "hidden_layer.html").as_uri())
        page.wait_for_selector(".hnn-stepper")
        assert_walked_as_replayed(walk(page, ".hnn-stepper"))
        show_hidden_delta(page, ".hnn-stepper")
        page.locator(".hnn-stepper").scroll_into_view_if_needed()
        page.screenshot(path=tmp_path / "handout.png")
