"""The training stepper: a widget that steps through precomputed frames of one diagram, entirely in the browser."""
from __future__ import annotations

import hashlib
import itertools
import json
from pathlib import Path

import anywidget
import ipywidgets
import traitlets

from hnn.notebook.outputs import fit_width, image_html

SAVED = ("svg", "frames", "index", "label")  # what a stepper's page snippet needs of its state
ESM = Path(__file__).with_name("stepper.js")  # the one front end: JupyterLab (via anywidget) and the HTML handout
FRAME_KEYS = ("epoch", "step", "lines", "slots", "read", "write")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
_made = itertools.count()  # steppers made in this kernel, so that equal ones still get their own model ids


class Stepper(anywidget.AnyWidget):
    """One diagram `svg`, refilled by `frames[index]`: its slots' text, the nodes and edges read, the node written."""

    _esm = ESM.read_text(encoding="utf-8")
    svg = traitlets.Unicode().tag(sync=True)  # <text data-slot=…>, <g class="node" data-node=…>, <g data-edge=…>
    frames = traitlets.List(traitlets.Dict()).tag(sync=True)  # each with FRAME_KEYS, precomputed from a trace
    index = traitlets.Int(0).tag(sync=True)  # the frame shown; the browser sets it as the student steps
    label = traitlets.Unicode("Step through training").tag(sync=True)  # the region's accessible name

    def __init__(self, svg: str, frames: list[dict], picture: str | None = None, label: str = "Step through training"):
        """picture: an SVG of the first frame, for where no widget can run (GitHub, nbviewer, an untrusted notebook)."""
        _check(svg, frames, picture)
        # Model ids from the content and the count, not random: a re-executed notebook stores byte-identical widget
        # state, and JupyterLab can draw the stepper from that state with no kernel.
        digest = hashlib.sha256(json.dumps([svg, frames, label, next(_made)], sort_keys=True).encode()).hexdigest()
        super().__init__(svg=svg, frames=frames, label=label, model_id=digest[:32],
                         layout=ipywidgets.Layout(model_id=digest[32:]))
        self._picture = picture

    @traitlets.validate("index")
    def _valid_index(self, proposal):
        if not 0 <= proposal.value < len(self.frames):
            raise traitlets.TraitError(f"index must be from 0 to {len(self.frames) - 1}, got {proposal.value!r}")
        return proposal.value

    def __repr__(self) -> str:
        """Stable text (nbval compares it): what the stepper holds and how to step it."""
        shown = len({frame["epoch"] for frame in self.frames} - {0})
        epochs = self.frames[-1].get("epochs", shown)  # the run's: a long run shows some of them
        first = self.frames[0]
        return (f"Training stepper: {len(self.frames)} frames over {shown}{f' of {epochs}' if shown < epochs else ''}"
                " epochs and the trained network. Run the cell in JupyterLab to step with Previous, Next, Play, Predict,"
                " the epoch slider, or the keys ← → (a step), ↑ ↓ (an epoch) and Space."
                f" First frame: {first['step']}: {first['lines'][-1]}")

    def _repr_mimebundle_(self, **kwargs):
        data, metadata = super()._repr_mimebundle_(**kwargs)  # the widget view, and text/plain from __repr__
        if self._picture is not None:  # beside the widget view: nbconvert, GitHub and nbviewer fall back to it
            data["image/svg+xml"] = fit_width(self._picture)
            # And as an <img> with alt text, which JupyterLab shows (and a screen reader reads) where no widget runs.
            # Around it, the snippet that steps the saved frames with no widget manager: JupyterLab runs it only in
            # a trusted notebook that has no widget renderer, which is RISE's slideshow (its page cannot load
            # ipywidgets' manager); elsewhere the widget view wins, or the sanitizer leaves the picture alone.
            picture = image_html("image/svg+xml", self._picture.encode(), repr(self))
            state = {key: getattr(self, key) for key in SAVED}
            data["text/html"] = standalone_html(self.model_id, state, picture)
        return data, metadata


def _check(svg, frames, picture) -> None:
    """One clear line for a stepper that could not draw: which argument, and what it accepts."""
    if not isinstance(svg, str) or "<svg" not in svg:
        raise ValueError(f"svg must be the text of an SVG diagram, got {type(svg).__name__}")
    if not isinstance(frames, list) or not frames:
        raise ValueError("frames must be a non-empty list of dicts")
    for i, frame in enumerate(frames):
        missing = [key for key in FRAME_KEYS if not isinstance(frame, dict) or key not in frame]
        if missing:
            raise ValueError(f"frames[{i}] must be a dict with {', '.join(FRAME_KEYS)}; it lacks {', '.join(missing)}")
    if picture is not None and not (isinstance(picture, str) and "<svg" in picture):
        raise ValueError(f"picture must be the text of an SVG image or None, got {type(picture).__name__}")


def is_stepper(model: dict) -> bool:
    """Whether a model in a notebook's saved widget state (metadata.widgets) is a Stepper."""
    return model.get("state", {}).get("_anywidget_id") == f"{Stepper.__module__}.{Stepper.__name__}"


def standalone_html(model_id: str, state: dict, placeholder: str = "") -> str:
    """A page snippet that runs stepper.js over a saved state with no Jupyter, no kernel and no network.

    The snippet's model offers the calls stepper.js makes of anywidget's (get, set, on, save_changes) over a plain
    object; the module itself is imported from a blob URL, as anywidget does, so it stays the same file.
    placeholder: what the page shows until the stepper replaces it, and where scripts do not run.
    """
    data = {key: state[key] for key in SAVED}
    element = f"hnn-stepper-{model_id}"
    script = _SHIM.replace("ELEMENT", json.dumps(element)).replace("ESM", json.dumps(ESM.read_text(encoding="utf-8")))
    return (f'<div id="{element}">{placeholder}</div>\n<script type="application/json" id="{element}-state">'
            f"{_inline(json.dumps(data, sort_keys=True))}</script>\n<script type=\"module\">{_inline(script)}</script>\n")


def _inline(text: str) -> str:
    """Text safe inside a <script> element: `</` is written `<\\/`, which JSON and JavaScript strings read back as `</`."""
    return text.replace("</", "<\\/")


_SHIM = """
const el = document.getElementById(ELEMENT);
const state = JSON.parse(document.getElementById(ELEMENT + "-state").textContent);
const listeners = {};
const model = {
  get: (key) => state[key],
  set: (key, value) => { state[key] = value; for (const f of listeners["change:" + key] || []) f(); },
  on: (event, f) => { (listeners[event] ||= []).push(f); },
  save_changes: () => {},
};
const url = URL.createObjectURL(new Blob([ESM], { type: "text/javascript" }));
import(url).then((module) => module.default.render({ model, el }));
"""
