"""Which slide each cell of a lesson goes on: one rule for the slides `make slides` writes and for RISE in JupyterLab.

Both read a cell's `slideshow.slide_type`: "slide" starts a slide, "-" goes on the slide above, "skip" leaves the cell
out. scripts/refresh-notebooks writes it into every cell from `slide_types`, and scripts/export-handouts uses the same
function, so a notebook presented live shows the slides of its handout.
"""
from __future__ import annotations

# The cells a slideshow leaves out, with the text that introduces them: the log of every epoch, which the stepper
# walks on its slide instead.
SKIPPED = ("hn.show_epochs(",)
# RISE's settings for a lesson (a notebook's metadata.rise): no transition, slides from the top, a long one scrolls
# (make slides continues it on the next slide instead), numbered as the handout's.
RISE = {"transition": "none", "center": False, "scroll": True, "slideNumber": "c/t", "theme": "white"}
SHORT = 3  # lines of printed text that go on the slide above, as the line hn.setup shows under the text about it
LINES_PER_SLIDE = 14  # lines of text (24 px, 80 characters) that fit a 1280 × 720 slide below its heading
CHARACTERS_PER_LINE = 80
TABLE_ROWS = LINES_PER_SLIDE - 2  # a table's rows on one slide, below its caption and its header
CODE_LINE = (0.8, 105)  # a line of code (20 px) is 0.8 of a line of text high and holds 105 characters


def slide_types(cells) -> list[str]:
    """Each cell's slide_type, in order."""
    types = []
    for i, cell in enumerate(cells):
        after = cells[i + 1] if i + 1 < len(cells) else None
        if skipped(cell) or (cell.get("cell_type") == "markdown" and after is not None and is_log(after)):
            types.append("skip")
        elif cell.get("cell_type") == "code" and (is_short_text(cell) or (
                not cell.get("outputs") and i and cells[i - 1].get("cell_type") == "markdown" and types[-1] != "skip"
                and lines(cells[i - 1].get("source", "")) + code_lines(cell.get("source", "")) <= LINES_PER_SLIDE)):
            types.append("-")  # with the text above it: a definition that fits on the slide of the text about it
        else:
            types.append("slide")
    return types


def skipped(cell) -> bool:
    """A cell that shows nothing on a slide: an import, a code cell with no output that defines nothing, or the log."""
    if cell.get("cell_type") != "code":
        return False
    if is_log(cell):
        return True
    lines = [line for line in cell.get("source", "").splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return not cell.get("outputs") and all(line.startswith(("import ", "from ")) for line in lines)


def is_log(cell) -> bool:
    return cell.get("cell_type") == "code" and any(marker in cell.get("source", "") for marker in SKIPPED)


def is_short_text(cell) -> bool:
    """Printed text of a few lines, and nothing else: it belongs with the text above it."""
    outputs = cell.get("outputs", [])
    if not outputs or any(set(output.get("data", {})) - {"text/plain"} for output in outputs):
        return False
    text = "".join(output.get("text", "") or output.get("data", {}).get("text/plain", "") for output in outputs)
    return len(text.strip().splitlines()) <= SHORT


def lines(text: str) -> int:
    """The lines of 80 characters a markdown text takes on a slide."""
    return sum(1 + len(line) // CHARACTERS_PER_LINE for line in text.splitlines() if line.strip())


def code_lines(source: str) -> float:
    """The height of a code listing on a slide, in lines of text."""
    height, width = CODE_LINE
    return height * sum(1 + len(line) // width for line in source.splitlines())
