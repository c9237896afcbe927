"""Model builders: SAL-T, the Linformer baseline and a Deep Sets baseline, quantized or float.

One ModelSpec describes a model; `build_model(spec)` makes it. The float twin is the same
spec with `quantized=False`: the same layers, every quantizer switched off.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import tensorflow as tf
from qkeras import QActivation, QDense

from salt_hls.errors import ConfigError
from salt_hls.geometry import partition_geometry
from salt_hls.model.attention import AttentionScores, PartitionSoftmax, WeightedValues
from salt_hls.model.dyt import DynamicTanh
from salt_hls.model.logit_conv import LogitConv
from salt_hls.model.partition import LinformerProjection, PartitionProjection
from salt_hls.model.quantize import QuantConfig
from salt_hls.tables import check_table_size

ARCHITECTURES = ("salt", "linformer", "deepsets")
# Settings that shape the firmware's tables and hold no weights (see ModelSpec).
TABLE_SETTINGS = ("softmax_table_size", "softmax_table_bits", "tanh_table_size")
# Settings renamed since models were shipped: the old key in a metadata.json -> the field it means.
RENAMED_SETTINGS = {"head_dim": "classifier_dim"}  # the classifier's hidden width, never d_model / n_heads


@dataclass
class ModelSpec:
    architecture: str = "salt"
    n_particles: int = 32
    n_features: int = 3
    n_classes: int = 5
    n_partitions: int = 4  # SAL-T p; Linformer k
    d_model: int = 16
    n_heads: int = 4
    ffn_dim: int = 16
    classifier_dim: int = 16  # hidden width of the classifier head (not a head of the attention: see d_model / n_heads)
    conv_heights: tuple = (1, 3, 5)
    deepsets_width: int = 32
    quantized: bool = True
    quant: dict = field(default_factory=dict)  # site -> format overrides of DEFAULT_SITES
    # The firmware's look-up tables (salt_hls.tables): entries (powers of two) and the softmax's
    # exp / reciprocal entry width. Like the formats they hold no weights: a float twin starts any.
    softmax_table_size: int = 1024
    softmax_table_bits: int = 16
    tanh_table_size: int = 1024
    # SAL-T with K and V·W_O applied to the p partition sums instead of to all N particles (exact in float by
    # linearity): K̃ = (Σ W_E·X)·W_K, Ṽ_h = (Σ W_F·X)·(W_V,h·W_O,h) + b, O = Σ_h A_h·Ṽ_h. The per-particle K, V and
    # output projections (3·N·d_model² constant products) become 2·p·d_model·(d_model + h·d_model); the partition
    # weights are shared by the heads and each head's value carries its block of W_O, so it is its own model (trained
    # as such), not a rewrite of one trained in the spec's form.
    fold_projections: bool = False

    def __post_init__(self):
        if self.architecture not in ARCHITECTURES:
            raise ConfigError(f"unknown architecture {self.architecture!r}; choose one of {', '.join(ARCHITECTURES)}")
        self.conv_heights = tuple(self.conv_heights)
        for name in (
            "n_particles",
            "n_features",
            "n_classes",
            "d_model",
            "n_heads",
            "ffn_dim",
            "classifier_dim",
            *TABLE_SETTINGS,
        ):
            v = getattr(self, name)
            if not isinstance(v, int) or v < 1:
                raise ConfigError(f"{name} must be a positive integer, got {v!r}")
        for name in ("softmax_table_size", "tanh_table_size"):
            check_table_size(getattr(self, name), name)
        if not 2 <= self.softmax_table_bits <= 32:
            raise ConfigError(f"softmax_table_bits must be 2..32, got {self.softmax_table_bits}")
        if self.architecture != "deepsets" and self.d_model % self.n_heads:
            raise ConfigError(f"d_model = {self.d_model} is not divisible by {self.n_heads} heads")
        if self.architecture == "salt":
            partition_geometry(self.n_particles, self.n_partitions)
        if not isinstance(self.fold_projections, bool):
            raise ConfigError(f"fold_projections must be true or false, got {self.fold_projections!r}")
        if self.fold_projections and self.architecture != "salt":
            raise ConfigError(f"fold_projections applies to SAL-T's partition sums; architecture {self.architecture!r} has none")
        QuantConfig(self.quant)  # reject unknown sites and bad formats now, not at build time

    @property
    def quant_config(self) -> QuantConfig | None:
        return QuantConfig(self.quant) if self.quantized else None

    def to_dict(self) -> dict:
        d = asdict(self)
        d["conv_heights"] = list(self.conv_heights)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> ModelSpec:
        d = dict(d)
        for old, new in RENAMED_SETTINGS.items():
            if old in d:
                if new in d:
                    raise ConfigError(f"model settings name both {old!r} and its new name {new!r}; keep only {new!r}")
                d[new] = d.pop(old)
        known = set(cls.__dataclass_fields__)
        unknown = set(d) - known
        if unknown:
            raise ConfigError(f"unknown model setting(s) {', '.join(sorted(unknown))}")
        return cls(**d)

    def float_twin(self) -> ModelSpec:
        return ModelSpec.from_dict({**self.to_dict(), "quantized": False})


class _Factory:
    """Makes layers with the quantizers of one QuantConfig, or float layers when it is None."""

    def __init__(self, quant: QuantConfig | None):
        self.quant = quant

    def fmt(self, site: str):
        return None if self.quant is None else self.quant[site]

    def sites(self, part: str, *names: str) -> dict:
        return {n: self.fmt(f"{part}.{n}") for n in names}

    def dense(self, units, part, name, use_bias=True):
        if self.quant is None:
            return QDense(units, use_bias=use_bias, name=name)
        return QDense(
            units,
            use_bias=use_bias,
            kernel_quantizer=self.fmt(f"{part}.weight").quantizer(),
            bias_quantizer=self.fmt(f"{part}.bias").quantizer() if use_bias else None,
            name=name,
        )

    def act(self, site, name, relu=False):
        fmt = self.fmt(site)
        if fmt is None:
            return QActivation("relu" if relu else "linear", name=name)
        return QActivation(fmt.relu_quantizer() if relu else fmt.quantizer(), name=name)


def build_model(spec: ModelSpec) -> tf.keras.Model:
    f = _Factory(spec.quant_config)
    inputs = tf.keras.Input((spec.n_particles, spec.n_features), name="particles")
    x = f.act("input", "input_quant")(inputs)
    if spec.architecture == "deepsets":
        return _deepsets(spec, f, inputs, x)
    return _transformer(spec, f, inputs, x)


def _transformer(spec: ModelSpec, f: _Factory, inputs, x):
    h = spec.n_heads
    x = f.dense(spec.d_model, "embed", "embed")(x)
    x = f.act("embed.result", "embed_relu", relu=True)(x)
    proj_q = f.sites("proj", "weight", "result")
    if spec.fold_projections:
        q, kt, vt = _folded_qkv(spec, f, x, proj_q)
    else:
        q, kt, vt = _qkv(spec, f, x, proj_q)
    s = AttentionScores(h, quant=f.sites("score", "result"), name="scores")([q, kt])
    if spec.architecture == "salt":
        s = LogitConv(spec.conv_heights, quant=f.sites("conv", "weight", "bias", "result"), name="logit_conv")(s)
    a = PartitionSoftmax(
        exp_size=spec.softmax_table_size,
        inv_size=spec.softmax_table_size,
        table_bits=spec.softmax_table_bits,
        quant=f.sites("softmax", "result"),
        name="attn_softmax",
    )(s)
    if spec.fold_projections:  # each head's Ṽ already carries its block of W_O and the bias: sum the heads
        o = WeightedValues(h, sum_heads=True, quant=f.sites("attn", "result"), name="attn_values")([a, vt])
    else:
        o = WeightedValues(h, quant=f.sites("attn", "result"), name="attn_values")([a, vt])
        o = f.dense(spec.d_model, "out", "attn_out")(o)
        o = f.act("out.result", "attn_out_quant")(o)
    dyt_q = f.sites("dyt", "weight", "result")
    x = DynamicTanh(table_size=spec.tanh_table_size, quant=dyt_q, name="dyt1")(tf.keras.layers.Add(name="res1")([x, o]))
    y = f.dense(spec.ffn_dim, "ffn", "ffn1")(x)
    y = f.act("ffn.hidden", "ffn1_relu", relu=True)(y)
    y = f.dense(spec.d_model, "ffn", "ffn2")(y)
    y = f.act("ffn.result", "ffn2_quant")(y)
    x = DynamicTanh(table_size=spec.tanh_table_size, quant=dyt_q, name="dyt2")(tf.keras.layers.Add(name="res2")([x, y]))
    x = tf.keras.layers.GlobalMaxPooling1D(name="pool")(x)
    return _head(spec, f, inputs, x, spec.architecture)


def _qkv(spec: ModelSpec, f: _Factory, x, proj_q):
    """Q, K and V per particle; K̃ and Ṽ their partition sums (the spec's order)."""
    h, qkv = spec.n_heads, {}
    for name in ("q", "k", "v"):
        y = f.dense(spec.d_model, "qkv", f"{name}_proj", use_bias=False)(x)
        qkv[name] = f.act("qkv.result", f"{name}_quant")(y)
    if spec.architecture == "salt":
        kt = PartitionProjection(spec.n_partitions, h, quant=proj_q, name="k_partition")(qkv["k"])
        vt = PartitionProjection(spec.n_partitions, h, quant=proj_q, name="v_partition")(qkv["v"])
    else:
        kt = LinformerProjection(spec.n_partitions, h, quant=proj_q, name="k_linformer")(qkv["k"])
        vt = LinformerProjection(spec.n_partitions, h, quant=proj_q, name="v_linformer")(qkv["v"])
    return qkv["q"], kt, vt


def _folded_qkv(spec: ModelSpec, f: _Factory, x, proj_q):
    """Q per particle; the partition sums of X first, then K̃ = X̃_E·W_K and Ṽ = X̃_F·W_VO + b on p rows
    (ModelSpec.fold_projections). Ṽ's columns are h blocks of d_model, one per head."""
    q = f.act("qkv.result", "q_quant")(f.dense(spec.d_model, "qkv", "q_proj", use_bias=False)(x))
    xk = PartitionProjection(spec.n_partitions, 1, quant=proj_q, name="k_partition")(x)
    xv = PartitionProjection(spec.n_partitions, 1, quant=proj_q, name="v_partition")(x)
    kt = f.act("qkv.result", "k_quant")(f.dense(spec.d_model, "qkv", "k_proj", use_bias=False)(xk))
    vt = f.act("out.result", "v_quant")(f.dense(spec.n_heads * spec.d_model, "out", "v_proj")(xv))
    return q, kt, vt


def _deepsets(spec: ModelSpec, f: _Factory, inputs, x):
    w = spec.deepsets_width
    x = f.dense(w, "embed", "phi1")(x)
    x = f.act("embed.result", "phi1_relu", relu=True)(x)
    x = f.dense(w, "ffn", "phi2")(x)
    x = f.act("ffn.hidden", "phi2_relu", relu=True)(x)
    x = tf.keras.layers.GlobalAveragePooling1D(name="pool")(x)
    x = f.act("ffn.result", "pool_quant")(x)
    return _head(spec, f, inputs, x, "deepsets")


def _head(spec: ModelSpec, f: _Factory, inputs, x, name):
    x = f.dense(spec.classifier_dim, "head", "head1")(x)
    x = f.act("head.hidden", "head1_relu", relu=True)(x)
    x = f.dense(spec.n_classes, "head", "logits")(x)
    x = f.act("head.result", "logits_quant")(x)
    out = tf.keras.layers.Activation("softmax", name="probabilities")(x)
    suffix = "q" if spec.quantized else "float"
    return tf.keras.Model(inputs, out, name=f"{name}_n{spec.n_particles}_{suffix}")
