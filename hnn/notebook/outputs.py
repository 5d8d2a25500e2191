"""Rich outputs JupyterLab shows as they are, trusted or not: an image with alt text, an SVG as wide as its cell."""
from __future__ import annotations

import base64
import html
import re

SVG_SIZE = re.compile(r'<svg width="[^"]*" height="[^"]*"')


def image_html(mime: str, data: bytes, alt: str) -> str:
    """An <img> with alt text: JupyterLab 4 draws image/png and image/svg+xml outputs as an <img> with no alt at all,
    but keeps the alt of an <img> in text/html, also in an untrusted notebook, where its sanitizer passes data: URLs."""
    return f'<img src="data:{mime};base64,{base64.b64encode(data).decode()}" alt="{html.escape(alt)}">'


def fit_width(svg: str) -> str:
    """Scale an SVG to the output's width: JupyterLab draws SVG at its own size, which Graphviz sets in points."""
    return SVG_SIZE.sub('<svg width="100%"', svg, count=1)  # the viewBox keeps the proportions
