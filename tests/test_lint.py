"""The code stays linted and formatted: ruff (Python) and clang-format (the HLS headers), with the
configurations in pyproject.toml and .clang-format, at the pinned versions of requirements.lock."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PYTHON_TREES = ["salt_hls", "tests", "benchmarks"]


def _run(*cmd: str) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)


def test_ruff_check_is_clean():
    r = _run(str(BIN / "ruff"), "check", *PYTHON_TREES)
    assert r.returncode == 0, r.stdout + r.stderr


def test_ruff_format_is_clean():
    r = _run(str(BIN / "ruff"), "format", "--check", *PYTHON_TREES)
    assert r.returncode == 0, "run `.venv/bin/ruff format salt_hls tests benchmarks`:\n" + r.stdout + r.stderr


def test_headers_are_clang_formatted():
    sources = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "hls_templates").iterdir() if p.suffix in (".h", ".cpp"))
    assert sources, "hls_templates/ holds no C++"
    r = _run(str(BIN / "clang-format"), "--dry-run", "--Werror", *sources)
    assert r.returncode == 0, "run `.venv/bin/clang-format -i hls_templates/*`:\n" + r.stderr[:2000]
