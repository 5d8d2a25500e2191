"""`make html` and `make slides`: one self-contained page that typesets offline, and slides that fit the screen and
walk with the arrow keys. The browser checks run Debian's chromium with every non-file request refused."""
import base64
import os
import re
import shutil
import subprocess
import sys

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from tests.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    TEXT_SIZES_JS,
    chromium_page,
    jupyterlab,
    require_browser,
    run_all,
    text_sizes,
    wait_until,
)
from tests.conftest import ROOT, WALKTHROUGH
from tests.plain import replay, replay_hidden_layer

EXPORT = ROOT / "scripts" / "export-handouts"
PNG = base64.b64decode(  # a 1x1 PNG
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><circle cx="5" cy="5" r="4"/></svg>'
SIZES = [(1280, 720), (1920, 1080)]
LESSONS = {"walkthrough": WALKTHROUGH, "hidden layer": ROOT / "notebooks" / "hidden_layer.ipynb"}


def stepped(lesson: str) -> dict[str, list[float]]:
    """Numbers a lesson's stepper shows, by epoch, from the plain-float replay: the walkthrough's every epoch; the
    hidden layer's first and last of its 100 (the stepper shows those, and some between)."""
    if lesson == "walkthrough":
        return {f"epoch {k + 1}": [s.n, s.loss, s.dL_dn, s.new_w1, s.new_b] for k, s in enumerate(replay()[0])}
    epochs = replay_hidden_layer(100, 0.5)
    return {f"epoch {k}": [epochs[k - 1][name] for name in ("h1", "o2", "L", "dL/dh1 via no2", "dL/dh1", "dL/dnh1",
                                                             "new w1", "new w5")] for k in (1, 100)}


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """A cache of the pages' JavaScript for this test module: npm fetches it once (about 10 MB)."""
    return tmp_path_factory.mktemp("cache")


def export(kind, notebook, outdir, cache, path=None):
    env = {**os.environ, "XDG_CACHE_HOME": str(cache), **({"PATH": path} if path else {})}
    run = subprocess.run([sys.executable, EXPORT, kind, notebook, outdir], capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr
    return run.stdout


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A small notebook shaped like the walkthrough: headings, math, a diagram stored as png + svg, a picture."""
    folder = tmp_path_factory.mktemp("notebooks")
    (folder / "picture.png").write_bytes(PNG)
    diagram = new_output(
        "display_data",
        {"image/png": base64.b64encode(PNG).decode(), "image/svg+xml": SVG, "text/plain": "[diagram ae0]"},
    )
    cells = [
        new_markdown_cell("# One neuron\n\n$n = x_1 w_1 + b$\n\n![a picture](picture.png)"),
        new_code_cell("hn.show_final(trace, display)", outputs=[diagram]),
    ]
    path = folder / "walkthrough.ipynb"
    nbformat.write(new_notebook(cells=cells), path)
    return path


def image_sources(page: str) -> list[str]:
    return re.findall(r"<img\b[^>]*\bsrc=\"([^\"]*)\"", page)


def test_html_is_one_page_with_every_image_and_its_mathjax_inside(tiny, tmp_path, cache):
    out = tmp_path / "out"
    assert export("html", tiny, out, cache) == f"wrote {out / 'walkthrough.html'}\n"
    assert os.listdir(out) == ["walkthrough.html"]  # nothing beside it to lose
    page = (out / "walkthrough.html").read_text()
    assert all(s.startswith("data:image/") for s in image_sources(page)) and len(image_sources(page)) == 2
    assert not re.findall(r"<script[^>]*\bsrc=", page), "every script is inside the page"
    assert "MathJax" in page and "cdnjs" not in page and "unpkg" not in page


def test_a_section_continued_on_the_next_slide_keeps_its_headings_level(tmp_path, cache):
    """A ### section whose picture goes on a slide of its own is headed there at the same level, not larger."""
    picture = new_output("display_data", {"image/svg+xml": SVG, "text/plain": "[a picture]"})
    notebook = tmp_path / "sections.ipynb"
    nbformat.write(new_notebook(cells=[new_markdown_cell("## Part\n\nIts text."),
                                       new_markdown_cell("### Saturation\n\nWhat it does."),
                                       new_code_cell("show()", outputs=[picture])]), notebook)
    export("slides", notebook, tmp_path / "out", cache)
    page = (tmp_path / "out" / "sections.slides.html").read_text()
    headings = [(level, re.sub(r"<[^>]+>|¶", "", text).strip())
                for level, text in re.findall(r"<h([1-6])\b[^>]*>(.*?)</h\1>", page, re.S)]
    assert headings == [("2", "Part"), ("3", "Saturation"), ("3", "Saturation (continued)")]


def test_without_npm_the_pages_fall_back_to_the_cdns_and_say_so(tiny, tmp_path):
    out = tmp_path / "out"
    said = export("slides", tiny, out, tmp_path / "empty-cache", path=os.path.dirname(sys.executable))
    assert "without npm" in said
    assert "https://cdn.jsdelivr.net/npm/mathjax@3.2.2/es5/tex-svg-full.js" in (out / "walkthrough.slides.html").read_text()


def offline_page(playwright, width, height):
    """A chromium page that refuses every request but file:// ones, and the list of what it refused."""
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    page = browser.new_page(viewport={"width": width, "height": height})
    refused = []
    def only_files(route):
        if route.request.url.startswith("file:"):
            return route.continue_()
        refused.append(route.request.url)
        return route.abort()

    page.route("**/*", only_files)
    return browser, page, refused


@pytest.fixture(scope="module")
def handouts(tmp_path_factory, cache):
    """The committed lessons exported both ways."""
    out = tmp_path_factory.mktemp("handouts")
    for lesson in LESSONS.values():
        export("html", lesson, out, cache)
        export("slides", lesson, out, cache)
    return out


@pytest.mark.parametrize("lesson", LESSONS)
def test_the_handout_typesets_every_formula_offline(handouts, tmp_path, lesson):
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser, page, refused = offline_page(playwright, 1280, 720)
        try:
            page.goto((handouts / LESSONS[lesson].with_suffix(".html").name).as_uri())
            page.wait_for_function("() => document.querySelectorAll('mjx-container').length > 0", timeout=30_000)
            page.wait_for_timeout(500)
            text = page.evaluate("document.body.innerText")
            page.screenshot(path=tmp_path / "handout.png")
        finally:
            browser.close()
    cells = nbformat.read(LESSONS[lesson], 4).cells
    formulas = sum(len(re.findall(r"\$\$", c.source)) for c in cells if c.cell_type == "markdown")
    assert formulas and "$$" not in text and "\\frac" not in text and "\\partial" not in text
    assert refused == []


@pytest.mark.parametrize("lesson", LESSONS)
def test_the_handouts_projector_button_draws_its_text_as_the_slides_do(handouts, tmp_path, lesson):
    """At 1280 x 720 the handout is JupyterLab's 14 px; its Projector button (or #projector) makes body text 24 px
    and nothing smaller than 18 px, without a page wider than the window; pressed again, it undoes it."""
    require_browser()
    from playwright.sync_api import sync_playwright

    page_js = f"() => ({TEXT_SIZES_JS})(document.querySelector('main'))"
    with sync_playwright() as playwright:
        browser, page, refused = offline_page(playwright, 1280, 720)
        try:
            page.goto((handouts / LESSONS[lesson].with_suffix(".html").name).as_uri())
            page.wait_for_function("() => document.querySelectorAll('mjx-container').length > 0", timeout=30_000)
            reading = text_sizes(page.evaluate(page_js))
            button = page.get_by_role("button", name="Projector")
            button.click()
            projected = text_sizes(page.evaluate(page_js))
            wide = page.evaluate("document.documentElement.scrollWidth")
            page.screenshot(path=tmp_path / "projector.png")
            button.click()
            again = text_sizes(page.evaluate(page_js))
            page.goto((handouts / LESSONS[lesson].with_suffix(".html").name).as_uri() + "#projector")
            linked = page.get_by_role("button", name="Projector").get_attribute("aria-pressed")
        finally:
            browser.close()
    assert reading[1] < 24 and again == reading  # the page as JupyterLab draws it, before and after
    smallest, body = projected
    assert smallest >= 18 and body >= 24, projected
    assert wide <= 1280 and linked == "true"
    assert refused == []


# The rows of a stepper's arithmetic scrolled partly under its step's name, which stays put as they scroll: none when
# its lines panel holds whole rows below the name.
CUT_ROWS_JS = """(stepper) => { const lines = stepper.querySelector('.hnn-lines');
    const name = stepper.querySelector('.hnn-step').getBoundingClientRect().bottom;
    const scale = lines.getBoundingClientRect().height / lines.offsetHeight || 1;  // a slide drawn larger
    const row = parseFloat(getComputedStyle(lines).lineHeight) * scale;
    return [...lines.children].flatMap(line => { const box = line.getBoundingClientRect();
        return Array.from({length: Math.round(box.height / row)}, (_, k) => box.top + k * row); })
        .filter(top => top < name - 1 && top + row > name + 1).length; }"""

SLIDE_BOX_JS = r"""() => { const slide = Reveal.getCurrentSlide(); let bottom = 0, right = 0, left = 1e9, top = 1e9;
    slide.querySelectorAll('*').forEach(e => { const r = e.getBoundingClientRect();
        // The stepper's lines scroll in their panel: what has scrolled out of it is not on the slide.
        const panel = e.closest('.hnn-panel') && e.closest('.hnn-panel').getBoundingClientRect();
        const [high, low] = panel ? [Math.max(r.top, panel.top), Math.min(r.bottom, panel.bottom)] : [r.top, r.bottom];
        if (r.width && r.height && high < low && getComputedStyle(e).visibility !== 'hidden') {
            bottom = Math.max(bottom, low); right = Math.max(right, r.right);
            left = Math.min(left, r.left); top = Math.min(top, high); } });
    return {bottom, right, left, top, index: Reveal.getIndices().h, last: Reveal.isLastSlide(),
            inputs: [...slide.querySelectorAll('.jp-CodeCell .jp-InputArea, .jp-InputPrompt, .jp-OutputPrompt')]
                .filter(e => e.offsetParent && (e.matches('[class*=Prompt]') && /\[/.test(e.textContent)
                    || e.matches('.jp-InputArea') && e.closest('.jp-CodeCell').querySelector('.jp-OutputArea-output')))
                .length,
            headed: !!slide.querySelector('h1, h2, h3, .hnn-title'),
            // the stepper's lists of values ("b1 = 0.35,"), and those of them drawn over two rows that one row holds
            items: slide.querySelectorAll('.hnn-item').length,
            split: [...slide.querySelectorAll('.hnn-item')].filter(e => {
                const style = getComputedStyle(e), line = e.closest('.hnn-line');
                const context = document.createElement('canvas').getContext('2d');
                context.font = style.font;
                const room = line.clientWidth - parseFloat(getComputedStyle(line).paddingLeft);
                return e.getBoundingClientRect().height > 1.5 * parseFloat(style.lineHeight)
                    && context.measureText(e.textContent).width <= room; }).length,
            cut: [...slide.querySelectorAll('.hnn-stepper')].reduce((rows, stepper) => rows + (%s)(stepper), 0),
            sizes: (%s)(slide), text: slide.innerText}; }""" % (CUT_ROWS_JS, TEXT_SIZES_JS)


@pytest.mark.parametrize("lesson", ["walkthrough", "hidden layer"])
@pytest.mark.parametrize("width,height", SIZES)
def test_every_slide_fits_the_screen_hides_code_and_the_arrow_key_walks_them_all(handouts, tmp_path, width, height,
                                                                                 lesson):
    require_browser()
    from playwright.sync_api import sync_playwright

    seen = []
    with sync_playwright() as playwright:
        browser, page, refused = offline_page(playwright, width, height)
        try:
            page.goto((handouts / LESSONS[lesson].with_suffix(".slides.html").name).as_uri())
            page.wait_for_function("() => window.Reveal && window.Reveal.isReady()", timeout=30_000)
            total = page.evaluate("Reveal.getTotalSlides()")
            for step in range(2000):  # slides, and the stepper's sub-steps on its slide
                page.wait_for_timeout(30)
                box = page.evaluate(SLIDE_BOX_JS)
                seen.append(box)
                where = f"slide {box['index'] + 1} of {total}, step {step}: {box['text'][:80]!r}"
                assert box["right"] <= width + 1 and box["bottom"] <= height + 1, where
                assert box["left"] >= -1 and box["top"] >= -1, where
                assert box["inputs"] == 0, f"a prompt or a cell's code shows on {where}"
                assert box["headed"], f"no heading on {where}"
                assert box["split"] == 0, f"a value of the stepper's list wraps inside itself on {where}"
                assert box["cut"] == 0, f"a row of the stepper's lines is cut by its step's name on {where}"
                smallest, body = text_sizes(box["sizes"])
                assert smallest >= 18, f"text of {smallest:.1f} px on {where}"  # a projector at 1280 x 720
                assert body is None or body >= 24, f"body text of {body:.1f} px on {where}"
                if box["last"] and step and seen[-2]["text"] == box["text"]:
                    break
                page.keyboard.press("ArrowRight")
            page.screenshot(path=tmp_path / f"last-{width}.png")
        finally:
            browser.close()
    assert {box["index"] for box in seen} == set(range(total))  # → reached every slide
    assert any(box["items"] for box in seen)  # the initial values and the trained network are lists of them
    # Where the stepper jumps epochs (a longer run shows max_diagrams of them), it says which it did not show.
    firsts = [(int(m.group(1)), box["text"]) for box in seen
              if (m := re.search(r"\bepoch (\d+) of \d+ · step 1 of", box["text"]))]
    jumps = [(before, epoch, text) for (before, _), (epoch, text) in zip(firsts, firsts[1:]) if epoch > before + 1]
    for before, epoch, text in jumps:
        skipped = f"epoch {before + 1}" if epoch == before + 2 else f"epochs {before + 1}\u2013{epoch - 1}"
        assert f"{skipped} not shown: see max_diagrams" in text, (before, epoch)
    assert bool(jumps) == (lesson == "hidden layer")  # its 100 epochs show 12; the walkthrough shows all of its 12
    # On the stepper's slide → walks its frames: every epoch's numbers showed, as a plain-float replay gives them.
    shown = "\n".join(box["text"] for box in seen)
    for epoch, values in stepped(lesson).items():
        for value in values:
            assert f"{value:.6f}".replace("-", "\u2212") in shown, f"{epoch}: {value:.6f}"
    assert refused == []


def test_a_clicker_walks_every_slide_and_down_jumps_a_whole_epoch(handouts):
    """PageDown, a clicker's next, walks the slides and the stepper's sub-steps; ↓ on the stepper's slide jumps to the
    next epoch's first step, and from the trained network on to the next slide: the whole deck takes one press a slide
    and one an epoch."""
    require_browser()
    from playwright.sync_api import sync_playwright

    epochs = len(replay()[0])
    with sync_playwright() as playwright:
        browser, page, refused = offline_page(playwright, 1280, 720)
        try:
            page.goto((handouts / "hacking_neural_networks.slides.html").as_uri())
            page.wait_for_function("() => window.Reveal && window.Reveal.isReady()", timeout=30_000)
            total = page.evaluate("Reveal.getTotalSlides()")
            presses, shown, slides = 0, [], set()
            while presses < 500:
                page.wait_for_timeout(30)
                slides.add(page.evaluate("Reveal.getIndices().h"))
                where = page.evaluate("() => document.querySelector('.reveal section.present .hnn-where')?.textContent")
                if where:  # ↓ on the stepper's slide, also at its last frame: there it goes on to the next slide
                    if not where.startswith("trained, after"):
                        shown.append(where)
                    key = "ArrowDown"
                elif page.evaluate("Reveal.isLastSlide()"):
                    break
                else:
                    key = "PageDown"
                page.keyboard.press(key)
                presses += 1
        finally:
            browser.close()
    assert slides == set(range(total))
    assert [re.sub(r" · step \d+ of \d+$", "", where) for where in shown] == [f"epoch {k} of {epochs}"
                                                                            for k in range(1, epochs + 1)]
    assert all(" · step 1 of " in where for where in shown), shown
    assert presses == total - 1 + epochs  # a press to each next slide, and one to each next epoch, the trained network too
    assert refused == []


def test_one_rule_gives_each_cell_its_slide_for_make_slides_and_for_rise():
    """The log and the text that introduces it, and a cell of imports, are left out; a line of printed text and a
    short definition go on the slide of the text above them; the rest start slides. refresh-notebooks stores the same
    types in the committed lessons, where RISE reads them."""
    from hnn.notebook.slides import slide_types

    printed = new_output("stream", name="stdout", text="Config(neuron, x1=2.0)\n")
    long_text = "\n".join(["word " * 15] * 20)
    cells = [
        new_markdown_cell("# Title"), new_code_cell("import hnn\nimport hnn.notebook as hn"),
        new_markdown_cell("## Rule\n\nA step against the gradient."), new_code_cell("def rule(w):\n    return w"),
        new_markdown_cell(long_text), new_code_cell("def loop():\n    pass"),
        new_code_cell("config", outputs=[printed]),
        new_markdown_cell("## Training, epoch by epoch"), new_code_cell("hn.show_epochs(trace, display)"),
        new_code_cell("hn.show_figures(trace)", outputs=[new_output("display_data", {"image/png": "", "text/plain": ""})]),
    ]
    assert slide_types(cells) == ["slide", "skip", "slide", "-", "slide", "slide", "-", "skip", "skip", "slide"]
    for lesson in (WALKTHROUGH, ROOT / "notebooks" / "hack_it.ipynb"):
        nb = nbformat.read(lesson, as_version=4)
        assert [cell.metadata["slideshow"]["slide_type"] for cell in nb.cells] == slide_types(nb.cells), lesson.name


def test_rise_presents_the_walkthrough_as_the_rules_slides_at_the_projectors_sizes(tmp_path):
    """jupyterlab-rise in a real JupyterLab: a slide for each cell the rule starts one with, in the same order, and
    notebooks/rise.css beside the notebook gives them the handout's sizes."""
    from hnn.notebook.slides import slide_types

    root = tmp_path / "root"
    root.mkdir()
    shutil.copyfile(WALKTHROUGH, root / WALKTHROUGH.name)
    shutil.copyfile(ROOT / "notebooks" / "rise.css", root / "rise.css")
    cells = nbformat.read(WALKTHROUGH, as_version=4).cells
    headings = [cell.source.partition("\n")[0].lstrip("#").strip() for cell, kind in zip(cells, slide_types(cells))
                if kind == "slide" and cell.cell_type == "markdown" and cell.source.startswith("#")]
    with jupyterlab(tmp_path, root) as lab, chromium_page(1280, 720) as page:
        page.goto(f"{lab['base']}/rise/{WALKTHROUGH.name}?token={lab['token']}")
        page.wait_for_selector(".reveal .slides > section.present", timeout=60_000)
        page.wait_for_timeout(3000)
        shown = page.evaluate("""() => [...document.querySelectorAll('.reveal .slides > section')].map(s =>
            [...s.querySelectorAll('h1, h2, h3')].find(h => !h.closest('.reveal-skip'))  // a skipped cell is hidden
                ?.textContent.replace('¶', '').trim() ?? null)""")
        sizes = page.evaluate(f"() => ({TEXT_SIZES_JS})(document.querySelector('.reveal .slides > section.present'))")
        page.screenshot(path=tmp_path / "rise-1280x720.png")
    assert len(shown) == slide_types(cells).count("slide")
    assert [heading for heading in shown if heading] == headings
    smallest, body = text_sizes(sizes)
    assert smallest >= 18 and body >= 24, (smallest, body)  # the title slide, at 1280 x 720


RISE_STEPPER = ".reveal .slides section.present .hnn-stepper"  # the live stepper on the slide RISE shows


def number(x: float) -> str:
    """A number as the stepper writes it: six decimals and a true minus sign."""
    return f"{x:.6f}".replace("-", "\u2212")


def test_rise_steps_the_walkthroughs_stepper_live_with_the_slide_keys_and_its_buttons(tmp_path):
    """As an instructor presents: Run All in JupyterLab, save, open RISE, walk to the stepper with a clicker's
    PageDown. There the stepper is live (RISE's page cannot load ipywidgets' manager, so the stepper's own snippet
    steps the saved frames): → and Space walk its sub-steps, its Next button steps, ↓ jumps an epoch, Space with the
    stepper focused plays and pauses, all without leaving the slide, and each number is the plain-float replay's.
    RISE's page logs errors of its own as it starts (the widget manager it cannot load, and "Maximum call stack size
    exceeded" from its bundled design tokens, with no notebook extension loaded at all); the stepper adds none."""
    steps, _ = replay()
    first, second = steps[0], steps[1]
    root = tmp_path / "root"
    root.mkdir()
    notebook = root / WALKTHROUGH.name
    shutil.copyfile(WALKTHROUGH, notebook)
    shutil.copyfile(ROOT / "notebooks" / "rise.css", root / "rise.css")
    with jupyterlab(tmp_path, root) as lab, chromium_page(1280, 720) as page:
        page.goto(lab["url"](WALKTHROUGH.name))
        page.wait_for_selector(".jp-NotebookPanel .jp-OutputArea-output img")  # the notebook is drawn
        run_all(page, 240_000)
        saved = notebook.stat().st_mtime
        page.keyboard.press("Control+s")  # RISE's button saves too; the slideshow shows the saved notebook
        assert wait_until(page, "() => !document.querySelector('.jp-NotebookPanel-toolbar .jp-mod-dirty')", 30_000)
        for _ in range(100):
            if notebook.stat().st_mtime != saved:
                break
            page.wait_for_timeout(200)
        errors, watching = [], {"console": False}  # uncaught errors all along; logged ones once the stepper shows
        page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
        page.on("console", lambda message: errors.append(message.text)
                if message.type == "error" and watching["console"] else None)
        for width, height in [(1280, 720), (1366, 768)]:
            page.set_viewport_size({"width": width, "height": height})
            watching["console"] = False
            page.goto(f"{lab['base']}/rise/{WALKTHROUGH.name}?token={lab['token']}")
            page.wait_for_selector(".reveal .slides > section.present", timeout=60_000)
            for _ in range(40):  # a clicker's next, slide by slide, to the stepper's
                if page.locator(RISE_STEPPER).count():
                    break
                page.keyboard.press("PageDown")
                page.wait_for_timeout(200)
            stepper = page.locator(RISE_STEPPER)
            assert stepper.count() == 1, "no live stepper on any slide"
            present = "() => location.hash"  # RISE's address of the slide shown: #/slide-9-0
            slide = page.evaluate(present)
            watching["console"] = True
            where = stepper.locator(".hnn-where")
            lines = stepper.locator(".hnn-lines")
            assert where.text_content() == "epoch 1 of 10 · step 1 of 15"
            page.screenshot(path=tmp_path / f"rise-{width}x{height}-first.png")
            page.keyboard.press("ArrowLeft")  # at the first frame the slide keys go on to the slides
            assert wait_until(page, f"() => ({present})() !== '{slide}'", 5000), "← did not go back a slide"
            page.keyboard.press("ArrowRight")
            assert wait_until(page, f"() => ({present})() === '{slide}'", 5000), "→ did not come back"
            assert where.text_content() == "epoch 1 of 10 · step 1 of 15"  # coming back does not step
            for _ in range(3):
                page.keyboard.press("ArrowRight")  # on the stepper's slide the slide keys step it, focus or not
            assert where.text_content() == "epoch 1 of 10 · step 4 of 15"
            assert lines.text_content().endswith(f"= {number(first.n)}"
                                                 f"o = tanh(n) = tanh({number(first.n)}) = {number(first.o)}"
                                                 f"L = ½(o − target)² = ½ × ({number(first.o)} − 0.0)² = "
                                                 f"{number(first.loss)}")
            page.keyboard.press("Space")  # reveal's next too, while nothing in the stepper has the focus
            assert where.text_content() == "epoch 1 of 10 · step 5 of 15"
            assert lines.text_content() == f"dL/do = o − target = {number(first.o)} − 0.0 = {number(first.dL_do)}"
            stepper.get_by_role("button", name="Next").click()
            assert where.text_content() == "epoch 1 of 10 · step 6 of 15"
            for _ in range(2):
                page.keyboard.press("PageDown")  # a clicker's next, the stepper focused now
            assert where.text_content() == "epoch 1 of 10 · step 8 of 15"
            assert lines.text_content().endswith(f"dL/dn = dL/do · do/dn = {number(first.dL_do)} × {number(first.do_dn)}"
                                                 f" = {number(first.dL_dn)}dL/dw1 = x1 · dL/dn = 2.0 ×"
                                                 f" {number(first.dL_dn)} = {number(first.dL_dw1)}")
            page.screenshot(path=tmp_path / f"rise-{width}x{height}-stepped.png")
            for _ in range(4):
                page.keyboard.press("ArrowRight")  # the backward pass's last line: more lines than the slide holds
            assert where.text_content() == "epoch 1 of 10 · step 12 of 15"
            assert lines.text_content().endswith(f"= {number(first.dL_dx2)}")
            assert page.evaluate(f"() => document.querySelector('{RISE_STEPPER} .hnn-panel').scrollTop") > 0
            assert page.evaluate(f"() => ({CUT_ROWS_JS})(document.querySelector('{RISE_STEPPER}'))") == 0, \
                "a row of the lines is cut by the step's name"
            for _ in range(4):
                page.keyboard.press("ArrowLeft")
            assert where.text_content() == "epoch 1 of 10 · step 8 of 15"
            page.keyboard.press("ArrowDown")  # the next epoch starts from the parameters the last one left
            assert where.text_content() == "epoch 2 of 10 · step 1 of 15"
            assert lines.text_content().endswith(f"w1 = {number(second.w1)}, w2 = {number(second.w2)},"
                                                 f" b = {number(second.b)}")
            assert number(second.w1) == number(first.new_w1)
            page.keyboard.press("Space")  # the stepper has the focus: Space plays, as its help says
            assert wait_until(page, f"() => document.querySelector('{RISE_STEPPER} .hnn-where').textContent"
                                    " !== 'epoch 2 of 10 · step 1 of 15'", 5000), "Space did not play"
            page.keyboard.press("Space")
            assert stepper.get_by_role("button", name="Play").is_visible()  # paused
            assert page.evaluate(present) == slide
            page.screenshot(path=tmp_path / f"rise-{width}x{height}-played.png")
            assert errors == [], errors
