"""The hls4ml extension for SAL-T: handlers, layer classes, templates, precision pass, conversion."""
