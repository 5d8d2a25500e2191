"""Handing hnn to a class: the notebooks copied out of the installed package, and the links that open them online."""
from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

from hnn.files import create, directory, write_atomically

NOTEBOOKS = Path(str(files("hnn.notebooks")))  # notebooks/ in a source checkout, hnn/notebooks/ in a wheel
WALKTHROUGH = NOTEBOOKS / "hacking_neural_networks.ipynb"
WALKTHROUGH_PATH = f"notebooks/{WALKTHROUGH.name}"  # where the walkthrough sits in the repository
BINDER = "https://mybinder.org"


def notebooks() -> list[Path]:
    """Every notebook installed with hnn: the walkthrough, the exercises and any other, by name."""
    return sorted(NOTEBOOKS.glob("*.ipynb"))


def copy_notebooks(out_dir, force: bool = False) -> list[Path]:
    """Copy every installed notebook into out_dir, each atomically; an existing one only with force."""
    out = directory(out_dir, "DIR")
    sources = notebooks()
    existing = [out / source.name for source in sources if os.path.lexists(out / source.name)]
    if existing and not force:
        more = f" (and {len(existing) - 1} more of hnn's notebooks)" if len(existing) > 1 else ""
        raise ValueError(f"{existing[0]} already exists{more}; pass --force to overwrite")
    create(out, "DIR")
    return [write_atomically(out / source.name, source.read_bytes()) for source in sources]


def _repository(repo: str) -> tuple[str, str]:
    """The repository's URL as given and its folder name (what `git clone` makes); ValueError if it is no http(s) URL."""
    parts = urlsplit(repo)
    name = parts.path.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")
    if parts.scheme not in ("http", "https") or not parts.netloc or not name or parts.query or parts.fragment:
        raise ValueError(f"--repo must be the http(s) URL of a git repository, such as https://github.com/you/hnn, got {repo!r}")
    return repo, name


def binder_link(repo: str, branch: str) -> str:
    """mybinder.org builds binder/ (its pinned requirements.txt) from the repository at branch, then opens the
    walkthrough in JupyterLab."""
    url, _ = _repository(repo)
    parts = urlsplit(url)
    if parts.netloc.lower() in ("github.com", "www.github.com"):  # Binder's short form: owner/name
        spec = "gh/" + parts.path.strip("/").removesuffix(".git")
    else:  # any other host: the whole clone URL, encoded as one path segment
        spec = "git/" + quote(url, safe="")
    return f"{BINDER}/v2/{spec}/{quote(branch, safe='')}?" + urlencode({"urlpath": f"lab/tree/{WALKTHROUGH_PATH}"})


def nbgitpuller_link(hub: str, repo: str, branch: str) -> str:
    """A JupyterHub with nbgitpuller clones (or updates) the repository into each student's home, then opens the
    walkthrough; the format of nbgitpuller's own link generator."""
    url, name = _repository(repo)
    parts = urlsplit(hub)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"--hub must be the http(s) URL of a JupyterHub, such as https://hub.example.edu, got {hub!r}")
    query = urlencode({"repo": url, "urlpath": f"lab/tree/{name}/{WALKTHROUGH_PATH}", "branch": branch})
    return f"{hub.rstrip('/')}/hub/user-redirect/git-pull?{query}"


def links(repo: str, branch: str, hub: str | None = None) -> list[str]:
    """The lines `hnn classroom-links` prints: the Binder link, then, for a hub, its nbgitpuller link."""
    if not branch or any(c.isspace() for c in branch):  # git allows no spaces in a branch name
        raise ValueError(f"--branch must be a branch name such as main, got {branch!r}")
    lines = [f"Binder: {binder_link(repo, branch)}"]
    if hub is not None:
        lines.append(f"JupyterHub (nbgitpuller): {nbgitpuller_link(hub, repo, branch)}")
    return lines
