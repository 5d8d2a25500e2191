"""The session guard in conftest.py: a test run that changes the committed notebooks or diagrams fails."""
import os
import shutil
import subprocess
import sys

from tests.conftest import ROOT

# 6. Never lose a file: the session guard in conftest.py fails a run whose tests change notebooks/ or diagrams/.

def test_the_committed_files_guard_fails_a_session_that_changes_them(tmp_path):
    (tmp_path / "tests").mkdir()
    shutil.copy(ROOT / "tests" / "conftest.py", tmp_path / "tests" / "conftest.py")
    for folder in ("notebooks", "diagrams"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "kept.txt").write_text("committed")
    (tmp_path / "tests" / "test_careless.py").write_text(
        "from tests.conftest import ROOT\n\n"
        "def test_reads():\n    assert (ROOT / 'diagrams' / 'kept.txt').read_text() == 'committed'\n\n"
        "def test_writes():\n    (ROOT / 'notebooks' / 'kept.txt').write_text('changed')\n"
        "    (ROOT / 'diagrams' / 'new.txt').write_text('')\n"
    )
    (tmp_path / "tests" / "__init__.py").write_text("")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=tmp_path, capture_output=True, text=True, env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},  # no nbval
    )
    assert result.returncode == 1
    assert "2 passed, 1 error" in result.stdout
    assert "the tests changed committed files: diagrams/new.txt, notebooks/kept.txt" in result.stdout
