"""The `salt-hls` command line: a thin skin over the Python API."""

from salt_hls.cli.app import main

__all__ = ["main"]
