"""Output directories that `--force` may replace: only what salt-hls itself wrote there.

A command that writes a directory (convert, ip, export) calls `replaceable` before its work: an
absent or empty directory is written; a non-empty one is replaced only with force, only when its
marker file (JSON) carries the key that salt-hls writes, and never when it is the working directory
or one above it.
"""

from __future__ import annotations

import json
from pathlib import Path

from salt_hls.errors import DataError


def replaceable(path: Path, force: bool, *, what: str, marker: str, key: str, written_by: str) -> bool:
    """Whether `path` holds a previous `what` (a "project", an "export") to replace; refuses the rest.

    marker: the JSON file salt-hls writes into every `what`; key: the entry of it that says so;
    written_by: the command that writes it (for the message)."""
    if not path.exists():
        return False
    if not path.is_dir():
        raise DataError(f"{path} is a file; choose a directory for the {what}")
    if not any(path.iterdir()):
        return False
    if not force:
        raise DataError(f"{path} exists and is not empty; choose another directory or pass --force to replace a previous {what}")
    try:
        written = json.loads((path / marker).read_text())
    except (OSError, json.JSONDecodeError):
        written = None
    if not (isinstance(written, dict) and key in written):
        raise DataError(
            f"{path} is not empty and is not a salt-hls {what} (no {marker} written by {written_by}); "
            f"--force only replaces a salt-hls {what}: choose a new or empty directory"
        )
    here = Path.cwd().resolve()
    if path.resolve() in (here, *here.parents):
        raise DataError(
            f"{path} is the working directory or contains it; refusing to replace it: choose a new directory for the {what}"
        )
    return True
