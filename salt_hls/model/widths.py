"""Per-site activation widths chosen by search, not by hand.

Every activation site of the model (DEFAULT_SITES without the weights and biases) holds one
fixed-point format shared by all its values. Its width sets the cost of everything that touches
those values: the casts, the adders of the next layer, the data x data products and the tables.
The search narrows each site in turn, integer bits first (how far the values reach: QKeras
saturates beyond), then fractional bits, one bit at a time, and keeps a narrowing while the
accuracy of the model, with the starting weights and the new formats (no retraining), stays
within a budget of the starting formats' accuracy. The budget is spent progressively: after the
k-th of K sites the search may have lost tolerance * k / K, so the first sites cannot use it all.
Sites with more values per jet (salt_hls.model.widths.site_values) come first, since a bit
there saves the most. Quantization-aware training (with heterogeneous weights: hetero.py) then
starts from the formats found and recovers what the narrowing cost.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from salt_hls.errors import ConfigError
from salt_hls.fixed import Fixed
from salt_hls.model.builders import ModelSpec
from salt_hls.model.quantize import DEFAULT_SITES, QuantConfig

ACTIVATION_SITES = tuple(s for s in DEFAULT_SITES if not s.endswith((".weight", ".bias")))


@dataclass
class WidthSearchSettings:
    tolerance: float = 0.005  # accuracy (fraction, 0.005 = half a point) the narrowing may cost in all
    min_bits: int = 3  # no site narrower than this
    eval_jets: int = 6000  # validation jets each trial is scored on
    sites: tuple = ACTIVATION_SITES  # the sites to narrow; the others keep their formats

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


def search_activation_widths(
    spec: ModelSpec,
    accuracy_of: Callable[[dict[str, str]], float],
    settings: WidthSearchSettings | None = None,
    log: Callable[[str], None] | None = None,
) -> dict:
    """Narrow every activation site of `spec` (its own formats to start from) as far as
    `accuracy_of(quant_overrides)` allows; returns the formats found and the trace of every trial."""
    settings = settings or WidthSearchSettings()
    settings.validate()
    if spec.architecture == "deepsets":
        raise ConfigError("the activation width search covers SAL-T and the Linformer; deepsets has no attention sites")
    log = log or (lambda _msg: None)
    current = QuantConfig(spec.quant).to_dict()
    t0 = time.time()
    base = accuracy_of(current)
    log(f"starting formats: accuracy {base:.4f}")
    values = site_values(spec)
    order = sorted(settings.sites, key=lambda s: (-values[s], ACTIVATION_SITES.index(s)))
    trials = []
    best = base
    for k, site in enumerate(order, start=1):
        floor = base - settings.tolerance * k / len(order)
        for what in ("integer", "frac"):
            while True:
                fmt = narrower(Fixed.parse(current[site]), what)
                if fmt is None or fmt.bits < settings.min_bits:
                    break
                acc = accuracy_of({**current, site: str(fmt)})
                kept = acc >= floor
                trials.append({"site": site, "format": str(fmt), "accuracy": acc, "kept": kept})
                log(f"{site} {current[site]} -> {fmt}: accuracy {acc:.4f} ({'kept' if kept else 'refused'}, floor {floor:.4f})")
                if not kept:
                    break
                current[site] = str(fmt)
                best = acc
    start = QuantConfig(spec.quant).to_dict()
    return {
        "settings": settings.to_dict(),
        "start_accuracy": base,
        "final_accuracy": best,
        "formats": {s: current[s] for s in order},
        "changed": {s: current[s] for s in order if current[s] != start[s]},
        "activation_bits_per_jet": {
            "start": sum(Fixed.parse(start[s]).bits * values[s] for s in order),
            "final": sum(Fixed.parse(current[s]).bits * values[s] for s in order),
        },
        "trials": trials,
        "seconds": round(time.time() - t0, 1),
    }


def keras_accuracy_of(spec: ModelSpec, weights: list, X: np.ndarray, y: np.ndarray) -> Callable[[dict[str, str]], float]:
    """accuracy_of for the search: the model of `spec` with the given formats and `weights`, scored on (X, y)."""
    import tensorflow as tf

    from salt_hls.model.builders import build_model

    def accuracy_of(quant: dict[str, str]) -> float:
        trial = ModelSpec.from_dict({**spec.to_dict(), "quant": quant, "quantized": True})
        model = build_model(trial)
        model.set_weights(weights)
        probs = model.predict(X, batch_size=2048, verbose=0)
        tf.keras.backend.clear_session()
        return float(np.mean(np.argmax(probs, axis=1) == y))

    return accuracy_of
