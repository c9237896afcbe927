"""One module per SAL-T operation group: Keras-2 handler, hls4ml layer class, templates."""

from salt_hls.hls.ops import attention, elementwise, projection

ALL_OPS = projection.OPS + attention.OPS + elementwise.OPS
HEADERS = ("salt_partition.h", "salt_attention.h", "salt_logit_conv.h", "salt_softmax.h", "salt_dyt.h")
