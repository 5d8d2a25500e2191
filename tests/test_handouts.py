"""`make html` and `make slides`: every image inside the page, one slide per heading, the JavaScript beside it."""
import base64
import os
import re
import subprocess
import sys

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from tests.conftest import ROOT

EXPORT = ROOT / "scripts" / "export-handouts"
PNG = base64.b64decode(  # a 1x1 PNG
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><circle cx="5" cy="5" r="4"/></svg>'
HEADINGS = ("# One neuron", "## Training", "## After training")


@pytest.fixture(scope="module")
def notebook(tmp_path_factory):
    """A small notebook shaped like the walkthrough: headings, math, a diagram stored as png + svg, a picture."""
    folder = tmp_path_factory.mktemp("notebooks")
    (folder / "picture.png").write_bytes(PNG)
    diagram = new_output(
        "display_data",
        {"image/png": base64.b64encode(PNG).decode(), "image/svg+xml": SVG, "text/plain": "[diagram ae0]"},
    )
    plot = new_output("display_data", {"image/png": base64.b64encode(PNG).decode(), "text/plain": "<Figure>"})
    cells = [
        new_markdown_cell(f"{HEADINGS[0]}\n\n$n = x_1 w_1 + b$\n\n![a picture](picture.png)"),
        new_markdown_cell(HEADINGS[1]),
        new_code_cell("hn.show_epochs(trace, shown, view)", outputs=[diagram]),
        new_markdown_cell(f"{HEADINGS[2]}\n\nNo new slide for this paragraph."),
        new_markdown_cell("Nor for this one."),
        new_code_cell("hn.show_figures(trace)", outputs=[plot]),
    ]
    path = folder / "walkthrough.ipynb"
    nbformat.write(new_notebook(cells=cells), path)
    return path


@pytest.fixture(scope="module")
def slides(notebook, tmp_path_factory):
    """The slideshow's page, exported beside a slides_files folder as if fetched before: no network needed."""
    out = tmp_path_factory.mktemp("out")
    (out / "slides_files").mkdir()
    export("slides", notebook, out)
    return (out / "walkthrough.slides.html").read_text()


def export(kind, notebook, outdir, env=None):
    run = subprocess.run(
        [sys.executable, EXPORT, kind, notebook, outdir], capture_output=True, text=True, check=True, env=env
    )
    return run.stdout


def image_sources(page: str) -> list[str]:
    return re.findall(r"<img\b[^>]*\bsrc=\"([^\"]*)\"", page)


def test_html_is_one_page_with_every_image_inside(notebook, tmp_path):
    out = tmp_path / "out"
    assert export("html", notebook, out) == f"wrote {out / 'walkthrough.html'}\n"
    assert os.listdir(out) == ["walkthrough.html"]  # nothing beside it to lose
    sources = image_sources((out / "walkthrough.html").read_text())
    assert [s.split(",")[0] for s in sources] == [
        "data:image/png;base64",  # the markdown picture, read from the notebook's folder
        "data:image/svg+xml;base64",  # the diagram: its svg, sharp on a projector
        "data:image/png;base64",  # the plot
    ]
    assert all(not s.startswith(("http:", "https:", "//")) for s in sources)


def test_slides_start_a_slide_at_every_heading_and_embed_every_image(slides):
    assert slides.count("<section") == 2 * len(HEADINGS)  # each slide is a <section> holding a <section>
    assert all(s.startswith("data:image/") for s in image_sources(slides))
    assert len(image_sources(slides)) == 3


def test_slides_load_their_javascript_from_the_folder_beside_them(slides):
    for url in (
        "slides_files/dist/reveal.css",
        "slides_files/dist/reveal.js",
        "slides_files/require.js",
        "slides_files/jquery.min.js",
        "slides_files/mathjax/MathJax.js",
    ):
        assert url in slides
    assert "unpkg.com" not in slides and "ajax/libs/mathjax" not in slides and "ajax/libs/require.js" not in slides


def test_slides_without_npm_fall_back_to_the_cdns_and_say_so(notebook, tmp_path):
    out = tmp_path / "out"
    no_npm = {**os.environ, "PATH": os.path.dirname(sys.executable)}
    assert "without npm" in export("slides", notebook, out, env=no_npm)
    assert "https://unpkg.com/reveal.js@4.0.2/dist/reveal.js" in (out / "walkthrough.slides.html").read_text()
