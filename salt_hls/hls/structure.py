"""Firmware structure: which function each layer becomes, its initiation interval and how many
particle groups it is split into, so that Vivado HLS / Vitis HLS can build it at the requested II.

The requested interval is II = ReuseFactor x N / ParallelizationFactor (N / P clocks to stream the
particles through the per-particle layers when P < N). An hls4ml optimizer pass (SaltStructure,
in the `vivado:specific_types` flow, after hls4ml's own `set_pipeline_style` so that it sees the
style hls4ml chose) gives:

- the top function PIPELINE II = that interval (hls4ml writes a bare PIPELINE otherwise, so
  --reuse R did not reach the top), or hls4ml's DATAFLOW when P < N;
- every SAL-T layer the same interval as its own PIPELINE II (its C++ function is INLINE off, so
  its pipeline and its ALLOCATION stay inside it), and the number of particle groups that keeps
  every function's unrolled body within UNROLL_LIMIT: each group is a separate pipelined function
  instance (hls_templates/salt_*.h);
- every per-particle Dense (salt_hls.hls.pointwise, which replaces hls4ml's PointwiseConv1D / DA Conv1D) the
  same interval and its particle groups (hls_templates/salt_pointwise.h), both dense strategies;
- hls4ml's remaining layers (activations, adds, pooling, the Dense after pooling) their ReuseFactor: R, at most
  the requested interval;
- a record per layer (function, II, groups, unrolled operations) that the converter writes into
  salt_summary.json and salt_hls.hls.static_check verifies against the emitted firmware.

The unrolled-operation counts here are the one definition both use: products (constant or data x
data) plus table look-ups of one function instance, with every loop unrolled.
"""

from __future__ import annotations

import math

from hls4ml.model.layers import Conv1D
from hls4ml.model.optimizer import ModelOptimizerPass

from salt_hls.errors import ConfigError
from salt_hls.hls.pointwise import DA, FUNCTIONS, SaltPointwiseConv1D, function_of, strategy_of

# hls4ml's Vivado/Vitis build script raises config_array_partition -maximum_size to 4096: a fully
# partitioned array (an unrolled mult[] of hls4ml's Latency kernels, a layer's outputs) may not
# exceed it, and XFORM 203-103/203-504 refuse larger partitions and unrolls. Every function is held to it.
UNROLL_LIMIT = 4096

PASS_NAME = "salt_structure"
FLOW = "vivado:specific_types"  # after vivado:set_pipeline_style, before the templates are applied

# C++ function of a SAL-T layer -> (units it is split over, operations per unit), from the values of
# its config struct (the names in hls_templates/salt_*.h). Units are particles, or softmax rows
# (head, particle), or DyT elements; n_groups must divide the unit count.
_SALT_OPS = {
    # k x width products per particle
    "attention_scores": ("n_particles", lambda c: c["k"] * c["width"]),
    "weighted_values": ("n_particles", lambda c: c["width"] * c["k"]),
    # a height x k kernel for each of the k columns of every head (taps past the edges included)
    "logit_conv": ("n_particles", lambda c: c["n_heads"] * c["k"] * c["height"] * c["k"]),
    # k exp look-ups, one reciprocal look-up, k products per row
    "partition_softmax": ("n_rows", lambda c: 2 * c["k"] + 1),
    # two look-ups per row
    "pair_softmax": ("n_rows", lambda c: 2),
    # alpha * x (a constant product) and one tanh look-up per element
    "dynamic_tanh": ("n_in", lambda c: 2),
}
# SAL-T functions that are not split (their whole body is small): total operations.
_SALT_WHOLE_OPS = {
    "partition_projection": lambda c: c["n_particles"] * c["width"],
    "linformer_projection": lambda c: c["n_particles"] * c["k"] * c["width"],
}
SALT_FUNCTIONS = tuple(_SALT_OPS) + tuple(_SALT_WHOLE_OPS)
# The per-particle Dense layers (salt_hls.hls.pointwise, hls_templates/salt_pointwise.h), grouped the same way.
POINTWISE_FUNCTIONS = tuple(FUNCTIONS.values())

# Table look-ups per call of a SAL-T function: C++ argument -> count from the config.
SALT_TABLES = {
    "partition_softmax": {"exp_table": lambda c: c["n_rows"] * c["k"], "inv_table": lambda c: c["n_rows"]},
    "pair_softmax": {"top_table": lambda c: c["n_rows"], "low_table": lambda c: c["n_rows"]},
    "dynamic_tanh": {"table": lambda c: c["n_in"]},
}


def groups_for(units: int, per_unit: int, limit: int = UNROLL_LIMIT) -> int:
    """The fewest groups G (a divisor of `units`) with units / G x per_unit <= limit."""
    if per_unit > limit:
        raise ConfigError(
            f"one unit of this layer unrolls {per_unit} operations, more than the limit {limit}; "
            "reduce the layer's width or the number of partitions"
        )
    return next(g for g in range(1, units + 1) if units % g == 0 and units // g * per_unit <= limit)


def salt_groups(function: str, cfg: dict, limit: int = UNROLL_LIMIT) -> int:
    """Groups a SAL-T function needs (1 for the ones that are never split)."""
    if function in _SALT_WHOLE_OPS:
        return 1
    unit, per = _SALT_OPS[function]
    return groups_for(cfg[unit], per(cfg), limit)


def unrolled_ops(function: str, cfg: dict, da_kernels: dict | None = None) -> int | None:
    """Operations (products + table look-ups) one instance of `function` unrolls, from its config
    struct; None for a function with no products or look-ups (activations, adds, pooling)."""
    if function in _SALT_OPS:
        unit, per = _SALT_OPS[function]
        return cfg[unit] // cfg.get("n_groups", 1) * per(cfg)
    if function in _SALT_WHOLE_OPS:
        return _SALT_WHOLE_OPS[function](cfg)
    if function in POINTWISE_FUNCTIONS:  # one group function: in_width / n_groups particles
        per = pointwise_ops_per_particle(function, cfg, da_kernels)
        return None if per is None else cfg["in_width"] // cfg.get("n_groups", 1) * per
    if function == "dense":
        return cfg["n_in"] * cfg["n_out"]
    if function.startswith("dense_da_"):
        kernel = (da_kernels or {}).get(function)
        return None if kernel is None else kernel.n_adders
    return None


def pointwise_ops_per_particle(function: str, cfg: dict, da_kernels: dict | None = None) -> int | None:
    """Operations of one particle of a per-particle Dense (salt_pointwise.h): its n_chan x n_filt constant
    products (Latency) or the adders of hls4ml's adder graph for one particle (distributed arithmetic)."""
    if function == "pointwise_latency":
        return cfg["n_chan"] * cfg["n_filt"]
    kernel = (da_kernels or {}).get(cfg.get("dense_da"))
    return None if kernel is None else kernel.n_adders


def table_lookups(function: str, cfg: dict) -> dict[str, int]:
    return {arg: count(cfg) for arg, count in SALT_TABLES.get(function, {}).items()}


def _salt_functions() -> dict[str, str]:
    """hls4ml layer class name -> C++ function, from the operation registry."""
    from salt_hls.operations import salt_operations

    return {v.layer.rsplit(":", 1)[1]: v.function for op in salt_operations() for v in op.hls_layers()}


def _int_attrs(node) -> dict:
    cfg = {k: v for k, v in node.attributes.items() if isinstance(v, int) and not isinstance(v, bool)}
    if hasattr(node, "config_params"):
        cfg.update(node.config_params())
    return cfg


class SaltStructure(ModelOptimizerPass):
    """Sets the top function's II, each SAL-T layer's II and particle groups, and records them."""

    def __init__(self):  # hls4ml instantiates registered passes without arguments
        pass

    def transform(self, model):
        if model.config.get_config_value("IOType") != "io_parallel":
            return False
        salt = _salt_functions()
        reuse = int(model.config.model_rf or 1)
        # ParallelizationFactor P < N: the per-particle layers take N / P partitions, one per clock
        # (SaltPointwiseConv1D, a Conv1D, keeps hls4ml's n_partitions)
        steps = max([int(n.get_attr("n_partitions", 1)) for n in model.get_layers() if isinstance(n, Conv1D)], default=1)
        ii = reuse * steps
        layers = {}
        for node in model.get_layers():
            function = salt.get(node.class_name)
            if function is not None:
                cfg = _int_attrs(node)
                node.set_attr("reuse_factor", ii)  # the function's PIPELINE II and ALLOCATION divisor
                node.set_attr("n_groups", salt_groups(function, cfg))
                layers[node.name] = {"function": function, "ii": ii, "groups": node.get_attr("n_groups")}
            elif isinstance(node, SaltPointwiseConv1D):
                # its group functions' PIPELINE II (hls4ml's reuse_factor attribute stays R: its DA pass refuses others)
                function = function_of(node)
                node.set_attr("pipeline_ii", ii)
                node.set_attr("n_groups", groups_for(node.get_attr("out_width"), _pointwise_per_particle(node)))
                layers[node.name] = {"function": function, "ii": ii, "groups": node.get_attr("n_groups")}
            else:
                # hls4ml's own layers (the Dense after pooling, activations, adds): II = their ReuseFactor
                layers[node.name] = {"function": None, "ii": int(node.get_attr("reuse_factor", reuse)), "groups": 1}
        if model.config.pipeline_style == "pipeline":
            model.config.pipeline_ii = ii
        model.config.config["SaltStructure"] = {
            "requested_ii": ii,
            "reuse": reuse,
            "particle_steps": steps,
            "unroll_limit": UNROLL_LIMIT,
            "top": {"style": model.config.pipeline_style, "ii": ii},
            "layers": layers,
        }
        return True


def _pointwise_per_particle(node) -> int:
    cfg = {"n_chan": node.get_attr("n_chan"), "n_filt": node.get_attr("n_filt"), "dense_da": node.get_attr("da_function")}
    kernels = None
    if strategy_of(node) == DA:
        from salt_hls.estimate.project import read_da_kernels  # the adder count the static check reads

        kernels = read_da_kernels(str(node.get_attr("da_codegen")))
    per = pointwise_ops_per_particle(function_of(node), cfg, kernels)
    if per is None:
        raise ConfigError(f"{node.name}: hls4ml generated no adder graph {cfg['dense_da']} for this layer")
    return per


_registered = False


def register_structure() -> None:
    """Adds SaltStructure to the flow of the Vivado backend (which the Vitis backend's flow includes). Idempotent."""
    global _registered
    if _registered:
        return
    import hls4ml

    hls4ml.backends.get_backend("Vivado").register_pass(PASS_NAME, SaltStructure, flow=FLOW)
    _registered = True


def structure_summary(hls_model) -> dict:
    """The record SaltStructure left on a converted model, for salt_summary.json (`structure`)."""
    record = hls_model.config.config.get("SaltStructure")
    if record is None:
        raise ConfigError(
            "the model was converted without the salt-hls structure pass; call "
            "salt_hls.hls.structure.register_structure() before converting"
        )
    return record


def requested_ii(reuse: int, n_particles: int, parallelization: int | None) -> int:
    """II = R x N / P (P = N, the default, streams every particle each clock)."""
    p = n_particles if parallelization is None else parallelization
    return reuse * math.ceil(n_particles / p)
