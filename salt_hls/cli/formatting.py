"""How the command line prints numbers: one rule for every table."""

from __future__ import annotations


def fmt(value, digits: int = 3) -> str:
    """A number for a table: '-' for missing, integers with thousands separators, floats with at
    most `digits` decimals (trailing zeros dropped)."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}".rstrip("0").rstrip(".") if value != int(value) else f"{int(value)}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def budget_value(value) -> str:
    """A budget row's figure (percent, ns or cycles), as `check` and `flow` print it."""
    return fmt(value, 4)
