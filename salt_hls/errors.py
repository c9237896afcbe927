"""Errors that salt-hls raises for bad user input; the CLI prints them without a traceback."""


class SaltError(Exception):
    """A problem with the user's input or environment, with a message that names the fix."""


class DataError(SaltError):
    """A jets file or array that cannot be used as it is."""


class ConfigError(SaltError):
    """A model, quantization or conversion setting that is out of range."""
