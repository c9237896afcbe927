"""The results file of a per-model benchmark script of this folder (products.py, slots.py): the commands that made it,
the date of the last one, and one row per model (a later measurement of a model replaces its row)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path


def open_results(path: Path, command: str) -> dict:
    """The stored results at `path` (or a new file's), with `command` appended as the one running now."""
    results = json.loads(path.read_text()) if path.is_file() else {"commands": [], "rows": []}
    results["commands"].append(command)
    results["date"] = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return results


def replace_row(results: dict, row: dict) -> None:
    results["rows"] = [r for r in results["rows"] if r["model"] != row["model"]] + [row]


def row_of(results: dict, model: str) -> dict | None:
    return next((r for r in results["rows"] if r["model"] == model), None)


def save(results: dict, path: Path) -> str:
    """Write the JSON; returns the markdown's 'Made by' line."""
    path.write_text(json.dumps(results, indent=2) + "\n")
    return "Made by " + ", then ".join(f"`{c}`" for c in results["commands"]) + f" ({results['date']})."
