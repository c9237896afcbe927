"""hls4ml pieces of the SAL-T operations (handlers, layer classes, template texts), one module per
group; salt_hls.operations names them and salt_hls.hls.register registers them."""
