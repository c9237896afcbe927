"""The firmware plan of a model: for each layer, its operation, inputs, output shape, fixed-point
types, scalar attributes and constant arrays (quantized weights, tables).

The precision pass (salt_hls.model.precision) derives it from the QKeras model; the converter
writes its types and hls4ml entries into the hls4ml configuration and its summary into the
project; the bit-exact reference (salt_hls.emulate) runs on it alone. Saved with `save_plan`,
it loads and runs without TensorFlow or hls4ml.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from salt_hls.errors import DataError
from salt_hls.fixed import FixedType


@dataclass
class LayerPlan:
    operation: str  # a name in salt_hls.operations.OPERATIONS
    inputs: list[str] = field(default_factory=list)  # producing layers, in argument order (none: a model input)
    shape: tuple = ()  # output shape of one jet
    types: dict[str, FixedType] = field(default_factory=dict)  # hls4ml Precision entries: result, accum, weight, ...
    attrs: dict = field(default_factory=dict)  # scalars of the computation (heads, geometry, table index bits)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)  # constants: quantized weights, tables
    config: dict = field(default_factory=dict)  # entries of the hls4ml layer configuration (become layer attributes)

    @property
    def result(self) -> FixedType:
        return self.types["result"]


TABLES = (
    "exp_table",
    "inv_table",
    "top_table",
    "low_table",
    "table",
)  # arrays that are look-up tables (reported by size in the summary)


def plan_summary(plan: dict[str, LayerPlan]) -> dict:
    """JSON-able view: every layer's kind and types as hls4ml texts, with the table geometry."""
    from salt_hls.operations import get

    out = {}
    for name, p in plan.items():
        entry = {"kind": get(p.operation).kind, "types": {k: str(v) for k, v in p.types.items()}}
        tables = {**p.config, **{f"{k}_size": len(v) for k, v in p.arrays.items() if k in TABLES}}
        if tables:
            entry["tables"] = tables
        out[name] = entry
    return out


_HEADER = "__plan__"


def save_plan(plan: dict[str, LayerPlan], path: str | Path) -> Path:
    """One .npz file: the arrays, and the rest as JSON (types in hls4ml's text)."""
    header, arrays = [], {}
    for i, (name, p) in enumerate(plan.items()):
        header.append(
            {
                "name": name,
                "operation": p.operation,
                "inputs": list(p.inputs),
                "shape": list(p.shape),
                "types": {k: str(v) for k, v in p.types.items()},
                "attrs": p.attrs,
                "config": p.config,
                "arrays": sorted(p.arrays),
            }
        )
        arrays.update({f"{i}/{k}": np.asarray(v) for k, v in p.arrays.items()})
    path = Path(path)
    np.savez(path, **arrays, **{_HEADER: np.array(json.dumps(header))})
    return path if path.suffix == ".npz" else path.with_name(path.name + ".npz")


def load_plan(path: str | Path) -> dict[str, LayerPlan]:
    path = Path(path)
    try:
        data = np.load(path, allow_pickle=False)
        header = json.loads(str(data[_HEADER]))
    except (OSError, KeyError, ValueError) as err:
        raise DataError(f"{path} is not a firmware plan written by salt_hls.plan.save_plan ({err})") from None
    plan = {}
    for i, h in enumerate(header):
        plan[h["name"]] = LayerPlan(
            h["operation"],
            h["inputs"],
            tuple(h["shape"]),
            {k: FixedType.parse(v) for k, v in h["types"].items()},
            h["attrs"],
            {k: data[f"{i}/{k}"] for k in h["arrays"]},
            h["config"],
        )
    return plan
