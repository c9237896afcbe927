"""Heterogeneous weight quantization: every constant weight gets its own learned bit width.

Each constant weight w of the SAL-T layers that multiplies data (the per-particle dense layers,
the partition projection, the logit convolution, the head) owns a trainable number of
fractional bits f. In the forward pass

    q(w) = round(clip(w, -2^I, 2^I - 2^-F) * 2^F) / 2^F,   F = round(clip(f, -I, max_frac)),

where I is the integer-bit cap of the weight's site format (e.g. 1 for "8,1"). A weight
that rounds to zero is pruned: it is exactly zero and costs nothing. Gradients: straight
through for w, and HGQ's surrogate for f (arXiv:2405.00645): the rounding error δ = q - w
scales as 2^-f, so dq/df = -ln2 · δ. Adam moves every parameter by about the learning rate
per step, which would be ~5e-4 bit per step; f is therefore stored as f / frac_scale (default
32), so one bit takes some 60 consistent steps at that rate instead of 2,000.

The bits of one weight are those of the narrowest signed format holding q(w) with F
fractional bits: 1 + i + F, with i the integer bits (QKeras convention, sign excluded) that
q(w) needs, and 0 when q(w) = 0. The resource term (EBOPs, as HGQ and JEDI-linear count it)
sums, over every constant multiply the firmware performs, weight bits x input bits; its
gradient reaches f (d bits/d f = 1 for a non-zero weight), so the loss β · EBOPs narrows and
prunes the weights that the classification loss does not defend.

Training uses these hetero layers (`heterogenize` swaps them in); the exported model is
`freeze(model)`: the project's plain layers (QDense, PartitionProjection, LogitConv) holding
the quantized values, each kernel typed by the widest per-weight format of its layer, so it
loads, converts and stays bit-exact through the ordinary path. The per-weight formats go into
the model's metadata (`hetero_summary`).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import tensorflow as tf
from qkeras import QActivation, QDense

from salt_hls.errors import ConfigError
from salt_hls.model.logit_conv import LogitConv
from salt_hls.model.partition import PartitionProjection
from salt_hls.model.qlayer import QuantizedLayer
from salt_hls.model.quantize import Fixed

LN2 = math.log(2.0)
DEFAULT_MAX_FRAC = 8
DEFAULT_FRAC_SCALE = 32.0


@tf.custom_gradient
def _round_frac(w, frac):
    """q = round(w * 2^frac) / 2^frac (frac already integer-valued); STE for w, HGQ surrogate for frac."""
    scale = tf.pow(2.0, frac)
    q = tf.round(w * scale) / scale

    def grad(dy):
        return dy, -LN2 * dy * (q - w)

    return q, grad


@tf.custom_gradient
def _ste_round(x):
    return tf.round(x), lambda dy: dy


def hetero_quantize(w, frac, cap: int, max_frac: int):
    """The quantized weights and their integer fractional bits F (see the module docstring)."""
    f = _ste_round(tf.clip_by_value(frac, -float(cap), float(max_frac)))
    hi = 2.0**cap - tf.pow(2.0, -f)
    w = tf.clip_by_value(w, -(2.0**cap), hi)
    return _round_frac(w, f), f


def weight_bits(q, f):
    """Per-weight bits (1 + integer + F, 0 for zero), differentiable in f; the integer part from q's magnitude."""
    i = tf.stop_gradient(integer_bits(q, f))
    return tf.where(tf.equal(q, 0.0), tf.zeros_like(f), 1.0 + i + f)


def integer_bits(q, f):
    """Smallest i (sign excluded, may be negative) with -2^i <= q <= 2^i - 2^-f; 0 where q = 0."""
    mag = tf.where(q > 0, q + tf.pow(2.0, -f), -q)
    safe = tf.where(tf.equal(q, 0.0), tf.ones_like(mag), mag)
    i = tf.math.ceil(tf.math.log(safe) / LN2)
    # log2 of an exact power of two can come out a hair above the integer
    i = tf.where(tf.pow(2.0, i - 1.0) >= safe, i - 1.0, i)
    return tf.where(tf.equal(q, 0.0), tf.zeros_like(i), i)


# The width parameters every heterogeneous layer takes as keyword arguments, with their defaults:
# cap = integer bits of the site format; init_frac = starting fractional bits; max_frac = their
# ceiling; input_bits, copies: see HeteroWeights; frac_scale: f is stored as f / frac_scale.
HETERO_DEFAULTS = {
    "cap": 1,
    "init_frac": 6,
    "max_frac": DEFAULT_MAX_FRAC,
    "input_bits": 16,
    "copies": 1,
    "frac_scale": DEFAULT_FRAC_SCALE,
}


def hetero_options(kwargs: dict) -> dict:
    """Take the width parameters out of a layer's keyword arguments (the rest go to the base layer)."""
    return {name: kwargs.pop(name, default) for name, default in HETERO_DEFAULTS.items()}


class HeteroWeights:
    """Mixin: one trainable fractional-bit count per weight of one kernel, and its EBOPs.

    input_bits: width of the data the kernel multiplies; copies: how many times the firmware
    applies each weight per inference (e.g. N for a dense layer on N particles at II = 1).
    """

    def _hetero_init(self, hetero: dict):
        """Set the width parameters taken out of the layer's keyword arguments by `hetero_options`."""
        self.cap, self.init_frac, self.max_frac = int(hetero["cap"]), int(hetero["init_frac"]), int(hetero["max_frac"])
        self.input_bits, self.copies = int(hetero["input_bits"]), int(hetero["copies"])
        self.frac_scale = float(hetero["frac_scale"])

    def _add_frac(self, shape):
        init = tf.keras.initializers.Constant(self.init_frac / self.frac_scale)
        self.frac = self.add_weight(name="frac", shape=shape, initializer=init)  # f / frac_scale

    @property
    def fractional(self):
        """The learned (real-valued) fractional bits f of every weight."""
        return self.frac * self.frac_scale

    def set_fractional(self, values) -> None:
        self.frac.assign(np.asarray(values, np.float32) / self.frac_scale)

    def hetero_weight(self, w):
        return hetero_quantize(w, self.fractional, self.cap, self.max_frac)[0]

    def hetero_kernel(self):
        """The unquantized kernel whose weights own `frac` (same shape)."""
        return self.kernel

    def quantized_kernel(self):
        return hetero_quantize(self.hetero_kernel(), self.fractional, self.cap, self.max_frac)

    def ebops(self):
        q, f = self.quantized_kernel()
        return tf.reduce_sum(weight_bits(q, f)) * float(self.input_bits * self.copies)

    def per_weight_formats(self) -> dict:
        """Declared per-weight formats: signed, `frac` fractional and `integer` integer bits (QKeras
        convention); `bits` = 1 + integer + frac, 0 for a pruned weight (whose other entries are 0)."""
        q, f = self.quantized_kernel()
        i = integer_bits(q, f)
        bits = weight_bits(q, f)
        zero = tf.equal(q, 0.0)
        return {
            "values": q.numpy().astype(np.float64),
            "frac": tf.where(zero, 0.0, f).numpy().astype(np.int64),
            "integer": i.numpy().astype(np.int64),
            "bits": bits.numpy().astype(np.int64),
        }

    def _hetero_config(self) -> dict:
        return {name: getattr(self, name) for name in HETERO_DEFAULTS}


class HQDense(HeteroWeights, tf.keras.layers.Layer):
    """A Dense layer (on the last axis) with per-weight learned kernel widths; the bias keeps its site format."""

    def __init__(
        self,
        units: int,
        use_bias: bool = True,
        bias_format=None,
        **kwargs,
    ):
        hetero = hetero_options(kwargs)
        super().__init__(**kwargs)
        self.units, self.use_bias = int(units), bool(use_bias)
        self.bias_format = Fixed.parse(bias_format) if use_bias else None
        self._hetero_init(hetero)

    def build(self, input_shape):
        n_in = int(input_shape[-1])
        self.kernel = self.add_weight(name="kernel", shape=(n_in, self.units), initializer="glorot_uniform")
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(self.units,), initializer="zeros")
        self._add_frac((n_in, self.units))
        super().build(input_shape)

    def call(self, x):
        y = tf.tensordot(x, self.hetero_weight(self.kernel), axes=1)
        if self.use_bias:
            y = y + self.bias_format.quantizer()(self.bias)
        return y

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape[:-1]), self.units)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "use_bias": self.use_bias,
            "bias_format": str(self.bias_format) if self.bias_format else None,
            **self._hetero_config(),
        }


class HPartitionProjection(HeteroWeights, PartitionProjection):
    """PartitionProjection with one learned width per weight W[h, j, l]."""

    def __init__(
        self,
        n_partitions,
        n_heads,
        **kwargs,
    ):
        hetero = hetero_options(kwargs)
        super().__init__(n_partitions, n_heads, **kwargs)
        self._hetero_init(hetero)

    def build(self, input_shape):
        super().build(input_shape)
        self._add_frac(self.kernel.shape)

    def quantize(self, site, x):
        return self.hetero_weight(x) if site == "weight" else super().quantize(site, x)

    def get_config(self):
        return {**super().get_config(), **self._hetero_config()}


class HLogitConv(HeteroWeights, LogitConv):
    """LogitConv with one learned width per weight of the effective (single) kernel it applies."""

    def __init__(
        self,
        kernel_heights=(1, 3, 5),
        **kwargs,
    ):
        hetero = hetero_options(kwargs)
        super().__init__(kernel_heights, **kwargs)
        self._hetero_init(hetero)

    def build(self, input_shape):
        super().build(input_shape)
        self._add_frac((self.height, int(input_shape[-1])))

    def hetero_kernel(self):
        return self.effective_kernel()[0]

    def quantize(self, site, x):
        return self.hetero_weight(x) if site == "weight" else super().quantize(site, x)

    def get_config(self):
        return {**super().get_config(), **self._hetero_config()}


HETERO_LAYERS = (HQDense, HPartitionProjection, HLogitConv)


def custom_objects() -> dict:
    from salt_hls.model.io import custom_objects as base

    return {**base(), **{cls.__name__: cls for cls in HETERO_LAYERS}}


# ---------------------------------------------------------------------------------------------
# Swapping the layers: plain quantized model <-> heterogeneous training model <-> frozen export


def _inbound_layer(layer):
    layers = layer.inbound_nodes[0].inbound_layers
    return layers[0] if isinstance(layers, list) else layers


def data_bits(layer) -> int:
    """Width of the values a layer outputs, from the quantizer that last formatted them."""
    if isinstance(layer, QActivation):
        from salt_hls.model.quantize import format_of

        return format_of(layer.quantizer, layer.name).bits
    if isinstance(layer, QuantizedLayer) and layer.formats.get("result") is not None:
        return layer.formats["result"].bits
    if isinstance(layer, tf.keras.layers.GlobalMaxPooling1D):  # picks one of its inputs' values
        return data_bits(_inbound_layer(layer))
    raise ConfigError(
        f"layer {layer.name} ({type(layer).__name__}) feeds a constant multiply but has no quantized output; "
        "heterogeneous quantization needs a quantized model (not the float twin)"
    )


def _copies(layer) -> int:
    """Times the firmware applies each weight per inference (all particles in parallel, II = 1)."""
    if isinstance(layer, QDense):
        shape = layer.input_shape
        return int(np.prod(shape[1:-1])) if len(shape) > 2 else 1
    if isinstance(layer, PartitionProjection):
        return int(layer.input_shape[-1]) // layer.n_heads  # each W[h, j, l] scales the d values of one head
    if isinstance(layer, LogitConv):
        _, heads, n, width = layer.input_shape
        return int(heads * n * width)  # every output position of every head
    raise ConfigError(f"layer {layer.name}: no heterogeneous counterpart")


def _site_format(quantizer_or_fmt, where) -> Fixed:
    from salt_hls.model.quantize import format_of

    return quantizer_or_fmt if isinstance(quantizer_or_fmt, Fixed) else format_of(quantizer_or_fmt, where)


def heterogenize(
    model: tf.keras.Model, max_frac: int = DEFAULT_MAX_FRAC, frac_scale: float = DEFAULT_FRAC_SCALE
) -> tf.keras.Model:
    """The same quantized model with per-weight learned widths on every constant-weight layer.

    Weights are copied; each width starts at its site format's fractional bits, so the model
    starts as the uniform one (up to the saturation at the site range, which stays)."""
    for layer in model.layers:
        if isinstance(layer, QDense) and layer.kernel_quantizer_internal is None:
            raise ConfigError(f"layer {layer.name} is not quantized; heterogenize the quantized model, not its float twin")

    def widths(layer, w) -> dict:
        """The width parameters of the heterogeneous twin of `layer`, whose kernel has site format w."""
        return dict(
            cap=w.integer,
            init_frac=w.bits - w.integer - 1,
            max_frac=max_frac,
            input_bits=data_bits(_inbound_layer(layer)),
            copies=_copies(layer),
            frac_scale=frac_scale,
        )

    def clone(layer):
        cfg = layer.get_config()
        if isinstance(layer, QDense):
            w = _site_format(layer.kernel_quantizer_internal, f"layer {layer.name} kernel")
            b = _site_format(layer.bias_quantizer_internal, f"layer {layer.name} bias") if layer.use_bias else None
            return HQDense(layer.units, layer.use_bias, str(b) if b else None, name=layer.name, **widths(layer, w))
        if isinstance(layer, (PartitionProjection, LogitConv)) and not isinstance(layer, HETERO_LAYERS):
            w = layer.formats["weight"]
            if w is None:
                raise ConfigError(f"layer {layer.name} is not quantized; heterogenize the quantized model, not its float twin")
            cls = HPartitionProjection if isinstance(layer, PartitionProjection) else HLogitConv
            return cls.from_config({**cfg, **widths(layer, w)})
        return layer.__class__.from_config(cfg)

    with tf.keras.utils.custom_object_scope(custom_objects()):
        out = tf.keras.models.clone_model(model, clone_function=clone)
    for layer in model.layers:
        if layer.weights:
            new = out.get_layer(layer.name)
            values = layer.get_weights()
            if isinstance(new, HETERO_LAYERS):
                values = [*values, new.frac.numpy()]
            new.set_weights(values)
    return out


def freeze(model: tf.keras.Model) -> tf.keras.Model:
    """The heterogeneous model as the project's plain QKeras layers, holding the quantized weights.

    Each kernel's QKeras quantizer is the widest per-weight format of its layer; every weight is
    on that format's grid and in its range, so the quantizer passes it unchanged and the
    converter, the reference and the C simulation see exactly the trained values."""
    formats = {h.name: h.per_weight_formats() for h in model.layers if isinstance(h, HETERO_LAYERS)}

    def clone(layer):
        if not isinstance(layer, HETERO_LAYERS):
            return layer.__class__.from_config(layer.get_config())
        wide = str(widest_format(formats[layer.name]))
        if isinstance(layer, HQDense):
            return QDense(
                layer.units,
                use_bias=layer.use_bias,
                kernel_quantizer=Fixed.parse(wide).quantizer(),
                bias_quantizer=layer.bias_format.quantizer() if layer.use_bias else None,
                name=layer.name,
            )
        cfg = {k: v for k, v in layer.get_config().items() if k not in layer._hetero_config()}
        cfg["quant"] = {**cfg["quant"], "weight": wide}
        base = PartitionProjection if isinstance(layer, PartitionProjection) else LogitConv
        return base.from_config(cfg)

    with tf.keras.utils.custom_object_scope(custom_objects()):
        out = tf.keras.models.clone_model(model, clone_function=clone)
    for layer in model.layers:
        if not layer.weights:
            continue
        new = out.get_layer(layer.name)
        if isinstance(layer, HQDense):
            values = [formats[layer.name]["values"]] + ([layer.bias.numpy()] if layer.use_bias else [])
        elif isinstance(layer, HPartitionProjection):
            values = [formats[layer.name]["values"]]
        elif isinstance(layer, HLogitConv):
            values = _conv_weights(layer, formats[layer.name]["values"])
        else:
            values = layer.get_weights()
        new.set_weights([np.asarray(v, np.float32) for v in values])
    return out


def _conv_weights(layer: HLogitConv, q: np.ndarray) -> list:
    """Kernels and biases whose average is exactly (q, quantized mean bias): the tallest kernel holds
    n·q and the others zero; every bias holds the quantized mean. q has few significant bits, so n·q and
    its division by n are exact in float32."""
    n = len(layer.kernel_heights)
    tallest = layer.kernel_heights.index(layer.height)
    kernels = [np.zeros((h, q.shape[1])) for h in layer.kernel_heights]
    kernels[tallest] = n * q
    bias = float(layer.q["bias"](layer.effective_kernel()[1]).numpy()) if layer.q["bias"] is not None else 0.0
    return kernels + [np.asarray(bias)] * n


def widest_format(formats: dict) -> Fixed:
    """The narrowest signed Fixed holding every per-weight format of one kernel (2 bits when all are pruned)."""
    alive = formats["bits"] > 0
    frac = int(max(formats["frac"][alive].max(initial=0), 0))
    integer = int(max(formats["integer"][alive].max(initial=0), 0))
    return Fixed(max(1 + integer + frac, 2), integer if 1 + integer + frac >= 2 else integer + 1)


def total_ebops(model: tf.keras.Model):
    layers = [h for h in model.layers if isinstance(h, HETERO_LAYERS)]
    if not layers:
        raise ConfigError(f"model {model.name} has no heterogeneous layers: heterogenize it first")
    return tf.add_n([h.ebops() for h in layers])


def hetero_summary(model: tf.keras.Model) -> dict:
    """JSON-able per-layer record: EBOPs, weights kept and pruned, the widest format and every
    per-weight format (fractional and integer bits, row-major in the kernel's shape)."""
    out = {"ebops": float(total_ebops(model).numpy()), "layers": {}}
    for layer in model.layers:
        if not isinstance(layer, HETERO_LAYERS):
            continue
        f = layer.per_weight_formats()
        out["layers"][layer.name] = {
            "ebops": float(layer.ebops().numpy()),
            "input_bits": layer.input_bits,
            "copies": layer.copies,
            "shape": list(f["bits"].shape),
            "weights": int(f["bits"].size),
            "pruned": int((f["bits"] == 0).sum()),
            "mean_bits": float(f["bits"].mean()),
            "widest": str(widest_format(f)),
            "frac": f["frac"].ravel().tolist(),
            "integer": f["integer"].ravel().tolist(),
        }
    return out


# ---------------------------------------------------------------------------------------------
# The resource term in the loss, and how β moves


@dataclass
class HeteroSettings:
    """β · EBOPs in the loss. With `target_ebops` set, β is steered each epoch towards it (a
    multiplicative controller, as HGQ's BetaPID aims at a fixed EBOPs); otherwise β stays at `beta`
    after a linear ramp from 0 over `ramp_epochs`, during which early stopping does not count."""

    beta: float = 1e-7
    target_ebops: float | None = None
    ramp_epochs: int = 0
    max_frac: int = DEFAULT_MAX_FRAC
    frac_scale: float = DEFAULT_FRAC_SCALE  # f is stored as f / frac_scale: Adam then moves f frac_scale x faster
    gain: float = 1.0  # the controller: β *= (ebops / target) ** gain each epoch

    def validate(self) -> None:
        if not (self.beta >= 0 and math.isfinite(self.beta)):
            raise ConfigError(f"beta must be a finite number >= 0, got {self.beta!r}")
        if self.target_ebops is not None and not self.target_ebops > 0:
            raise ConfigError(f"target EBOPs must be > 0, got {self.target_ebops!r}")
        if self.target_ebops is not None and self.beta <= 0:
            raise ConfigError("steering to a target EBOPs needs a starting beta > 0 (e.g. 1e-7)")
        if not isinstance(self.ramp_epochs, int) or self.ramp_epochs < 0:
            raise ConfigError(f"ramp epochs must be an integer >= 0, got {self.ramp_epochs!r}")
        if not isinstance(self.max_frac, int) or not 0 <= self.max_frac <= 16:
            raise ConfigError(f"max_frac must be an integer in 0..16, got {self.max_frac!r}")
        if not self.frac_scale > 0:
            raise ConfigError(f"frac_scale must be > 0, got {self.frac_scale!r}")

    def to_dict(self) -> dict:
        return asdict(self)


class ResourceTerm(tf.keras.callbacks.Callback):
    """Adds β · EBOPs to the model's loss and moves β between epochs; logs `ebops` and `beta`."""

    def __init__(self, model: tf.keras.Model, settings: HeteroSettings):
        super().__init__()
        settings.validate()
        self.settings = settings
        self.beta = tf.Variable(0.0 if settings.ramp_epochs else settings.beta, trainable=False, dtype=tf.float32)
        total_ebops(model)  # refuse a model without hetero layers now
        model.add_loss(lambda: self.beta * total_ebops(model))

    def on_epoch_begin(self, epoch, logs=None):
        s = self.settings
        if s.target_ebops is None and s.ramp_epochs:
            self.beta.assign(s.beta * min(1.0, epoch / s.ramp_epochs))

    def on_epoch_end(self, epoch, logs=None):
        ebops = float(total_ebops(self.model).numpy())
        if logs is not None:
            logs["ebops"], logs["beta"] = ebops, float(self.beta.numpy())
        s = self.settings
        if s.target_ebops is not None:
            self.beta.assign(float(self.beta.numpy()) * (ebops / s.target_ebops) ** s.gain)
