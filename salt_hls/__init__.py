"""salt-hls: a quantized SAL-T jet tagger, from QKeras to hls4ml firmware."""

__version__ = "0.1.0"
