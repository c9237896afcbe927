"""salt-hls: a quantized SAL-T jet tagger, from QKeras to hls4ml firmware."""

__version__ = "0.1.0"


def convert(model, output_dir, **kwargs):
    """Convert a QKeras SAL-T to an hls4ml project; see salt_hls.hls.convert.convert."""
    from salt_hls.hls.convert import ConvertSettings
    from salt_hls.hls.convert import convert as _convert

    keys = set(ConvertSettings.__dataclass_fields__)
    settings = ConvertSettings(**{k: v for k, v in kwargs.items() if k in keys})
    rest = {k: v for k, v in kwargs.items() if k not in keys}
    return _convert(model, output_dir, settings, **rest)
