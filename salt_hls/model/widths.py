"""Per-site activation widths and table sizes chosen by search, not by hand.

Every activation site of the model (DEFAULT_SITES without the weights and biases) holds one
fixed-point format shared by all its values. Its width sets the cost of everything that touches
those values: the casts, the adders of the next layer, the data x data products and the tables.
The search narrows each site in turn, integer bits first (how far the values reach: QKeras
saturates beyond), then fractional bits, one bit at a time, and keeps a narrowing while the
accuracy of the model, with the starting weights and the new formats (no retraining), stays
within a budget of the starting formats' accuracy. The budget is spent progressively: after the
k-th of K sites the search may have lost tolerance * k / K, so the first sites cannot use it all.
Sites with more values per jet (salt_hls.model.widths.site_values) come first, since a bit
there saves the most. The look-up tables (softmax exp and 1/sum, DynamicTanh: ModelSpec's
TABLE_SETTINGS) come before the sites, halved in entries and narrowed in entry bits the same way.
A trial whose formats the firmware cannot index (a table finer than its input) is refused.
Quantization-aware training (with heterogeneous weights: hetero.py) then
starts from the formats found and recovers what the narrowing cost.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from salt_hls.errors import ConfigError
from salt_hls.fixed import Fixed
from salt_hls.model.builders import TABLE_SETTINGS, ModelSpec
from salt_hls.model.quantize import DEFAULT_SITES, QuantConfig

ACTIVATION_SITES = tuple(s for s in DEFAULT_SITES if not s.endswith((".weight", ".bias")))


@dataclass
class WidthSearchSettings:
    tolerance: float = 0.005  # accuracy (fraction, 0.005 = half a point) the narrowing may cost in all
    min_bits: int = 3  # no site narrower than this
    eval_jets: int = 6000  # validation jets each trial is scored on
    sites: tuple = ACTIVATION_SITES  # the sites to narrow; the others keep their formats
    tables: bool = True  # also search TABLE_SETTINGS
    min_table_size: int = 32

    def validate(self) -> None:
        unknown = sorted(set(self.sites) - set(ACTIVATION_SITES))
        if unknown or not self.sites:
            raise ConfigError(
                f"width search sites {', '.join(unknown) or '(none)'}: choose among the activation sites {', '.join(ACTIVATION_SITES)}"
            )
        if not 0.0 <= self.tolerance < 1.0:
            raise ConfigError(f"width search tolerance must be in [0, 1) (a fraction of accuracy), got {self.tolerance}")
        if self.min_bits < 2:
            raise ConfigError(f"width search min_bits must be >= 2, got {self.min_bits}")
        if self.eval_jets < 100:
            raise ConfigError(f"width search eval_jets must be >= 100, got {self.eval_jets}")

    def to_dict(self) -> dict:
        return {**asdict(self), "sites": list(self.sites)}


def site_values(spec: ModelSpec) -> dict[str, int]:
    """Values per jet held at each activation site of a SAL-T / Linformer (firmware at II = 1)."""
    n, d, p, h = spec.n_particles, spec.d_model, spec.n_partitions, spec.n_heads
    return {
        "input": n * spec.n_features,
        "embed.result": n * d,
        "qkv.result": 3 * n * d,
        "proj.result": 2 * p * d,
        "score.result": n * p * h,
        "conv.result": n * p * h,
        "softmax.result": n * p * h,
        "attn.result": n * d,
        "out.result": n * d,
        "dyt.result": 2 * n * d,
        "ffn.hidden": n * spec.ffn_dim,
        "ffn.result": n * d,
        "head.hidden": spec.classifier_dim,
        "head.result": spec.n_classes,
    }


def narrower(fmt: Fixed, what: str) -> Fixed | None:
    """fmt with one integer bit ('integer') or one fractional bit ('frac') less; None when there is none to drop."""
    frac = fmt.bits - fmt.integer - int(fmt.signed)
    if what == "integer" and fmt.integer > 0:
        return Fixed(fmt.bits - 1, fmt.integer - 1, fmt.signed)
    if what == "frac" and frac > 0:
        return Fixed(fmt.bits - 1, fmt.integer, fmt.signed)
    return None


def _table_step(spec: ModelSpec, name: str, min_size: int) -> ModelSpec | None:
    """spec with the table setting `name` one step smaller (half the entries, one bit less); None at the floor."""
    v = getattr(spec, name)
    smaller = v - 1 if name == "softmax_table_bits" else v // 2
    if smaller < (4 if name == "softmax_table_bits" else min_size):
        return None
    return ModelSpec.from_dict({**spec.to_dict(), name: smaller})


def search_activation_widths(
    spec: ModelSpec,
    accuracy_of: Callable[[ModelSpec], float],
    settings: WidthSearchSettings | None = None,
    log: Callable[[str], None] | None = None,
) -> dict:
    """Narrow the tables and every activation site of `spec` (its own settings to start from) as
    far as `accuracy_of(trial_spec)` allows; returns the formats and tables found and every trial."""
    settings = settings or WidthSearchSettings()
    settings.validate()
    if spec.architecture == "deepsets":
        raise ConfigError("the activation width search covers SAL-T and the Linformer; deepsets has no attention sites")
    log = log or (lambda _msg: None)
    t0 = time.time()
    start = ModelSpec.from_dict({**spec.to_dict(), "quant": QuantConfig(spec.quant).to_dict(), "quantized": True})
    current = start
    base = accuracy_of(current)
    log(f"starting formats: accuracy {base:.4f}")
    values = site_values(spec)
    order = sorted(settings.sites, key=lambda s: (-values[s], ACTIVATION_SITES.index(s)))
    knobs = [(t, None) for t in TABLE_SETTINGS if settings.tables] + [(s, w) for s in order for w in ("integer", "frac")]
    n_steps = len(TABLE_SETTINGS if settings.tables else ()) + len(order)
    trials = []
    best = base
    done = 0
    for name, what in knobs:
        if what != "frac":  # a table setting or a site's first pass: one more share of the budget
            done += 1
        floor = base - settings.tolerance * done / n_steps
        while True:
            if what is None:
                trial = _table_step(current, name, settings.min_table_size)
                label = None if trial is None else str(getattr(trial, name))
            else:
                fmt = narrower(Fixed.parse(current.quant[name]), what)
                trial = None if fmt is None or fmt.bits < settings.min_bits else _with_site(current, name, str(fmt))
                label = None if trial is None else str(fmt)
            if trial is None:
                break
            before = getattr(current, name) if what is None else current.quant[name]
            try:
                acc, error = accuracy_of(trial), None
            except ConfigError as exc:  # the firmware cannot build these tables on these formats
                acc, error = float("nan"), str(exc)
            kept = error is None and acc >= floor
            trials.append(
                {
                    "site": name,
                    "format": label,
                    "accuracy": None if error else acc,
                    "kept": kept,
                    **({"error": error} if error else {}),
                }
            )
            log(
                f"{name} {before} -> {label}: "
                + (f"refused ({error})" if error else f"accuracy {acc:.4f} ({'kept' if kept else 'refused'}, floor {floor:.4f})")
            )
            if not kept:
                break
            current, best = trial, acc
    start_quant = start.quant
    return {
        "settings": settings.to_dict(),
        "start_accuracy": base,
        "final_accuracy": best,
        "formats": {s: current.quant[s] for s in order},
        "tables": {t: getattr(current, t) for t in TABLE_SETTINGS},
        "changed": {
            **{s: current.quant[s] for s in order if current.quant[s] != start_quant[s]},
            **{t: getattr(current, t) for t in TABLE_SETTINGS if getattr(current, t) != getattr(start, t)},
        },
        "activation_bits_per_jet": {
            "start": sum(Fixed.parse(start_quant[s]).bits * values[s] for s in order),
            "final": sum(Fixed.parse(current.quant[s]).bits * values[s] for s in order),
        },
        "trials": trials,
        "seconds": round(time.time() - t0, 1),
    }


def _with_site(spec: ModelSpec, site: str, fmt: str) -> ModelSpec:
    return ModelSpec.from_dict({**spec.to_dict(), "quant": {**spec.quant, site: fmt}})


def keras_accuracy_of(weights: list, X: np.ndarray, y: np.ndarray) -> Callable[[ModelSpec], float]:
    """accuracy_of for the search: the model of a trial spec holding `weights`, scored on (X, y)."""
    import tensorflow as tf

    from salt_hls.model.builders import build_model
    from salt_hls.model.precision import precision_plan

    def accuracy_of(trial: ModelSpec) -> float:
        model = build_model(trial)
        # the firmware's typing (to the logits: the final softmax stays in software) refuses, with a
        # ConfigError, tables finer than their inputs
        precision_plan(tf.keras.Model(model.input, model.layers[-1].input))
        model.set_weights(weights)
        probs = model.predict(X, batch_size=2048, verbose=0)
        tf.keras.backend.clear_session()
        return float(np.mean(np.argmax(probs, axis=1) == y))

    return accuracy_of
