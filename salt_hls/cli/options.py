"""Click options built from the settings dataclasses (salt_hls.settings), so that each option's
name, type, choices, default and help are written once, on the dataclass field."""

from __future__ import annotations

import functools
from dataclasses import fields

import click
from click.core import ParameterSource


def _option(f) -> click.Option:
    meta = f.metadata
    name = meta.get("option") or "--" + f.name.replace("_", "-")
    if isinstance(f.default, bool):
        return click.option(name, f.name, is_flag=True, default=f.default, help=meta["help"])
    kind = click.Choice(list(meta["choices"])) if meta.get("choices") else meta.get("type") or type(f.default)
    return click.option(name, f.name, type=kind, default=f.default, show_default=f.default is not None, help=meta["help"])


def settings_options(cls, param: str):
    """Adds one option per field of `cls` and hands the command one `param` (a validated `cls`)
    instead of the separate values."""

    def decorate(command):
        @functools.wraps(command)
        def with_settings(**kwargs):
            settings = cls(**{f.name: kwargs.pop(f.name) for f in fields(cls)})
            settings.validate()
            return command(**{param: settings}, **kwargs)

        for f in reversed(fields(cls)):
            with_settings = _option(f)(with_settings)
        return with_settings

    return decorate


def given_on_command_line(ctx: click.Context, cls) -> list[str]:
    """The options of `cls` that the user typed (not left at their default)."""
    return [f.name for f in fields(cls) if ctx.get_parameter_source(f.name) not in (None, ParameterSource.DEFAULT)]
