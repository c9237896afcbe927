"""The firmware's arithmetic traced with da4ml (0.5.2) into a combinational graph of
fixed-point operations, from the same weights, precisions and tables as salt_hls.emulate.

Each layer of the firmware model becomes a function of da4ml FixedVariableArrays (one
particle's row, no batch axis) that computes what `Reference` computes, in the same order:

- constant matrices (dense, partition/Linformer projection, the logit convolution's band
  matrix) as da4ml shift-add graphs (its CMVM solver, with the options the estimator uses);
- data x data products (Q.K~^T, A.V~, the softmax normalization) as da4ml products;
- the softmax exp and reciprocal tables and the DynamicTanh table as the project's own arrays:
  the table index is the input truncated (TRN) and saturated (SAT) to the index grid, then a
  da4ml lookup whose entries are `table[min(index, size - 1)]`, the reference's expression;
- max (softmax row maximum, max pooling) and ReLU as da4ml compare-and-select muxes;
- every quantizer site as a cast with convergent rounding and saturation (RND_CONV, SAT).
  da4ml rounds only by truncation or half-up, so round-half-even is built from them:
  trunc(x + 2^-(f+1) - ulp + ulp * bit_f(x)) rounds ties to the even neighbour (bit_f(x) is
  the last kept bit), then the value is clamped to the type's range.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from salt_hls.errors import ConfigError
from salt_hls.fixed import FixedType

# da4ml options: one adder level per unit of latency (HWConfig(1, -1, -1)), the CMVM solver
# options of hls4ml 1.3's distributed_arithmetic pass, which the estimator uses too.
HWCONF = (1, -1, -1)
SOLVER_OPTIONS = {"hard_dc": 2, "search_all_decompose_dc": True}


def kif(t: FixedType) -> tuple[int, int, int]:
    return t.kif


def _map(x, fn):
    from da4ml.trace import FixedVariableArray

    flat = x._vars.ravel()
    out = np.empty(flat.size, dtype=object)
    for j, v in enumerate(flat):
        out[j] = fn(v)
    return FixedVariableArray(out.reshape(x.shape), x.solver_options)


def _cast_one(v, t: FixedType):
    k, i, f = kif(t)
    if v.low == v.high:  # a constant: cast its value here (np.round rounds half to even)
        lo, hi = -k * 2.0**i, 2.0**i - 2.0**-f
        return v.from_const(float(np.clip(np.round(float(v.low) * 2.0**f) * 2.0**-f, lo, hi)), hwconf=v.hwconf)
    _f = v.kif[2]
    if _f > f:
        ulp = 2.0**-_f
        kept_lsb = v.quantize(0, 1 - f, f)  # 0 or 2^-f: the last bit that survives the cast
        v = v + (2.0 ** -(f + 1) - ulp) + kept_lsb * 2.0 ** (f - _f)
    return v.quantize(k, i, f, "SAT", "TRN")


def cast(x, t: FixedType):
    """Cast to an ap type with RND_CONV, SAT (a quantizer site)."""
    if not t.is_site:
        raise ConfigError(f"cast to {t}: only quantizer sites (RND_CONV, SAT) round in this firmware")
    return _map(x, lambda v: _cast_one(v, t))


def relu(x):
    return _map(x, lambda v: v.max_of(0.0))


def table_lookup(x, table: np.ndarray, index_bits: int, out_t: FixedType, offset: float = 0.0):
    """table[min(floor((x + offset) * 2^index_bits), size - 1)], negative indices clamped to 0.

    The index is x + offset truncated to 2^-index_bits and saturated to [0, 2^I - 2^-index_bits]
    with 2^I >= size / 2^index_bits; the da4ml table maps every value of that grid, so it holds
    exactly the project's entries (the min(., size - 1) is the reference's own clamp)."""
    size = len(table)
    i_bits = math.ceil(math.log2(size)) - index_bits
    idx = (x + offset) if offset else x
    idx = idx.quantize(0, i_bits, index_bits, "SAT", "TRN")
    values = np.asarray(table, np.float64)

    def entries(grid):
        j = np.minimum(np.round(np.asarray(grid, np.float64) * 2.0**index_bits), size - 1).astype(np.int64)
        return values[j]

    return idx.apply(entries).quantize(*kif(out_t))


class _CMVM:
    """Constant matrix x vector through da4ml's solver, one solution per (matrix, input
    intervals, latencies): the N per-particle copies of a layer share one solve."""

    def __init__(self):
        self._cache: dict = {}

    def __call__(self, vec, mat: np.ndarray):
        from da4ml.cmvm.api import solve
        from da4ml.cmvm.types import QInterval
        from da4ml.trace import FixedVariableArray
        from numba.typed import List as NumbaList

        mat = np.ascontiguousarray(np.asarray(mat, np.float32))
        vars_ = vec._vars.ravel()
        if np.all(mat == 0):
            return _zeros_like(vec, mat.shape[1])
        qints = tuple((float(v.low), float(v.high), float(v.step)) for v in vars_)
        lats = tuple(float(v.latency) for v in vars_)
        key = (mat.tobytes(), mat.shape, qints, lats)
        sol = self._cache.get(key)
        if sol is None:
            sol = solve(
                mat,
                qintervals=NumbaList([QInterval(*q) for q in qints]),
                latencies=NumbaList(list(lats)),
                adder_size=HWCONF[0],
                carry_size=HWCONF[1],
                **SOLVER_OPTIONS,
            )
            self._cache[key] = sol
        return FixedVariableArray(np.asarray(sol(vars_)), vec.solver_options)


def _zeros_like(vec, n: int):
    from da4ml.trace import FixedVariable, FixedVariableArray

    hw = vec._vars.ravel()[0].hwconf
    return FixedVariableArray(
        np.array([FixedVariable.from_const(0.0, hwconf=hw) for _ in range(n)], dtype=object), vec.solver_options
    )


def _sign_select(cond, pairs: list, solver_options):
    """Stacked on a new last axis, per pair (a, b): a where cond < 0, else b (da4ml's msb_mux, element by element)."""
    from da4ml.trace import FixedVariableArray

    c = np.asarray(cond._vars).ravel()
    out = np.empty((c.size, len(pairs)), dtype=object)
    for j, (a, b) in enumerate(pairs):
        av, bv = np.asarray(a._vars).ravel(), np.asarray(b._vars).ravel()
        out[:, j] = [ci.msb_mux(ai, bi) for ci, ai, bi in zip(c, av, bv, strict=True)]
    return FixedVariableArray(out.reshape((*np.shape(cond._vars), len(pairs))), solver_options)


def _stack(rows: list, solver_options):
    from da4ml.trace import FixedVariableArray

    return FixedVariableArray(np.stack([r._vars for r in rows]), solver_options)


def _heads(x, h: int):
    return x.reshape(*x.shape[:-1], h, x.shape[-1] // h)


@dataclass
class LayerFn:
    """One firmware layer: its operation, inputs (layer names) and traced function."""

    name: str
    kind: str  # the operation's name in salt_hls.operations
    inputs: list[str]
    fn: Callable
    per_particle: bool = False  # the same logic for each of the N rows of its input


PER_PARTICLE = ("quantizer", "add", "dynamic_tanh")  # and dense on a (N, d) input


class Tracer:
    """The firmware plan of `reference` (a salt_hls.emulate.Reference: {layer: LayerPlan}, with
    each layer's operation, types, attributes and constant arrays) as da4ml layer functions."""

    def __init__(self, reference):
        self.plan = reference.plan
        self.cmvm = _CMVM()
        self.layers: list[LayerFn] = [self._layer(name, p) for name, p in self.plan.items()]
        inputs = [lf for lf in self.layers if not lf.inputs]
        if len(inputs) != 1:
            raise ConfigError(f"the RTL flow takes models with one input; this one has {len(inputs)}")
        self.input_name = inputs[0].name
        self.input_shape = tuple(int(d) for d in self.plan[self.input_name].shape)
        self.output_name = self.layers[-1].name

    # ------------------------------------------------------------ layers

    def _layer(self, name: str, p) -> LayerFn:
        from salt_hls.geometry import partition_geometry, same_padding

        op, ins, res, a = p.operation, list(p.inputs), p.result, p.attrs
        in_shape = self.plan[ins[0]].shape if ins else ()
        per_particle = op in PER_PARTICLE or (op == "dense" and len(in_shape) == 2)
        if op == "input":
            return LayerFn(name, op, [], lambda x: x)
        if op == "quantizer":
            fn = (lambda x: cast(relu(x), res)) if a["relu"] else (lambda x: cast(x, res))
            return LayerFn(name, op, ins, fn, per_particle)
        if op == "dense":
            w = np.asarray(p.arrays["weight"], np.float64)
            b = np.asarray(p.arrays["bias"], np.float64) if "bias" in p.arrays else None

            def dense(x):
                rows = x.reshape(-1, x.shape[-1])
                out = _stack([self.cmvm(rows[r], w) for r in range(rows.shape[0])], x.solver_options)
                out = out.reshape(*x.shape[:-1], w.shape[1])
                return out + b if b is not None else out

            return LayerFn(name, op, ins, dense, per_particle)
        if op == "add":
            return LayerFn(name, op, ins, lambda u, v: u + v, per_particle)
        if op == "max_pool":
            return LayerFn(name, op, ins, lambda x: np.amax(x, axis=0))
        if op == "partition_projection":
            geo, h = partition_geometry(a["n_particles"], a["n_partitions"]), a["n_heads"]
            w = np.asarray(p.arrays["weight"], np.float64)  # (h, p, chunk)
            n = int(in_shape[0])
            # per head: particles (the real ones; padding slots are zero) -> partitions, block-diagonal
            mats = np.zeros((h, n, geo.n_partitions))
            for hh in range(h):
                for j in range(geo.n_partitions):
                    for pos in range(geo.chunk):
                        if j * geo.chunk + pos < n:
                            mats[hh, j * geo.chunk + pos, j] = w[hh, j, pos]
            return LayerFn(name, op, ins, lambda x: cast(self._project(x, mats, h), res))
        if op == "linformer_projection":
            e, h = np.asarray(p.arrays["weight"], np.float64), a["n_heads"]  # (h, n, k)
            return LayerFn(name, op, ins, lambda x: cast(self._project(x, e, h), res))
        if op == "attention_scores":
            h, scale = a["n_heads"], 2.0 ** -a["scale_shift"]

            def scores(q, k):
                qh, kh = _heads(q, h), _heads(k, h)  # (n, h, d), (p, h, d)
                out = _stack([qh[:, hh, :] @ kh[:, hh, :].T for hh in range(h)], q.solver_options)
                return cast(out * scale, res)

            return LayerFn(name, op, ins, scores)
        if op == "logit_conv":
            w, b = np.asarray(p.arrays["weight"], np.float64), float(p.arrays["bias"][0])
            height, k = w.shape
            (top, _), (left, _) = same_padding(height), same_padding(k)
            band = np.zeros((height, k, k))  # the reference's band matrix, per window row u
            for j in range(k):
                for c in range(k):
                    v = c - j + left
                    if 0 <= v < k:
                        band[:, c, j] = w[:, v]

            def conv(s):  # s: (h, n, k)
                n = s.shape[1]
                rows = []
                for hh in range(s.shape[0]):
                    for r in range(n):
                        us = [u for u in range(height) if 0 <= r - top + u < n]  # rows outside are the zero padding
                        vec = _concat([s[hh, r - top + u, :] for u in us])
                        rows.append(self.cmvm(vec, band[us].reshape(-1, k)))
                out = _stack(rows, s.solver_options).reshape(s.shape[0], n, k)
                return cast(out + b, res)

            return LayerFn(name, op, ins, conv)
        if op == "partition_softmax" and "top_table" in p.arrays:  # k = 2, as hls_templates/salt_softmax.h pair_softmax
            tab_t, bits = p.types["top_table"], a["exp_index_bits"]
            top, low = p.arrays["top_table"], p.arrays["low_table"]

            def pair(s):  # (h, n, 2)
                d01 = s[..., 0] - s[..., 1]  # negative exactly when s_1 > s_0 (ties keep s_0 as the maximum)
                d = np.abs(d01)
                hi, lo = table_lookup(d, top, bits, tab_t), table_lookup(d, low, bits, tab_t)
                return _sign_select(d01, [(lo, hi), (hi, lo)], s.solver_options)

            return LayerFn(name, op, ins, pair)
        if op == "partition_softmax":
            exp_t, inv_t = p.types["exp_table"], p.types["inv_table"]
            exp_table, inv_table = p.arrays["exp_table"], p.arrays["inv_table"]
            exp_bits, inv_bits = a["exp_index_bits"], a["inv_index_bits"]

            def softmax(s):  # (h, n, k), over the k partitions
                d = np.amax(s, axis=-1)[..., None] - s
                e = table_lookup(d, exp_table, exp_bits, exp_t)
                excess = np.sum(e, axis=-1) - 1.0
                inv = table_lookup(excess, inv_table, inv_bits, inv_t)
                return cast(e * inv[..., None], res)

            return LayerFn(name, op, ins, softmax)
        if op == "weighted_values":
            h = a["n_heads"]

            def values(att, v):  # att: (h, n, k), v: (k, d_model)
                dh = v.shape[-1] // h
                if a["sum_heads"]:  # one dot product of h * k terms per output, as the C++ accumulates it
                    return cast(
                        att.transpose((1, 0, 2)).reshape(att.shape[1], -1)
                        @ v.reshape(-1, h, dh).transpose((1, 0, 2)).reshape(-1, dh),
                        res,
                    )
                out = _stack([att[hh] @ v[:, hh * dh : (hh + 1) * dh] for hh in range(h)], att.solver_options)  # (h, n, dh)
                return cast(out.transpose((1, 0, 2)).reshape(att.shape[1], -1), res)

            return LayerFn(name, op, ins, values)
        if op == "dynamic_tanh":
            alpha, beta = (float(v) for v in p.arrays["weight"])
            table, rng, bits = p.arrays["table"], float(p.attrs["range"]), p.attrs["index_bits"]
            # the reference clips z = alpha*x + beta to [-range, range] and indexes from z + range
            return LayerFn(name, op, ins, lambda x: table_lookup(x * alpha + beta, table, bits, res, offset=rng), per_particle)
        raise ConfigError(f"layer {name}: operation {op!r} has no RTL trace (salt_hls/rtl/trace.py)")

    def _project(self, x, mats: np.ndarray, h: int):
        """out[j, (h, d)] = sum_n x[n, (h, d)] mats[h, n, j]: one CMVM per head and column."""
        from da4ml.trace import FixedVariableArray

        xh = _heads(x, h)  # (n, h, d)
        dh, k = xh.shape[-1], mats.shape[-1]
        arr = np.empty((k, h, dh), dtype=object)
        for hh in range(h):
            for dd in range(dh):
                arr[:, hh, dd] = self.cmvm(xh[:, hh, dd], mats[hh])._vars
        return FixedVariableArray(arr.reshape(k, h * dh), x.solver_options)

    # ------------------------------------------------------------ graphs

    def input_type(self, name: str):
        return self.plan[name].result

    def trace_inputs(self, shape: tuple, t):
        """Fresh input variables of type t: the ports of a design."""
        from da4ml.trace import FixedVariableArrayInput, HWConfig

        return FixedVariableArrayInput(shape, HWConfig(*HWCONF)).quantize(*kif(t))

    def run(self, x, keep: bool = False):
        """Trace the whole firmware from input variables x; -> output (and every layer's output)."""
        values = {}
        for lf in self.layers:
            values[lf.name] = x if not lf.inputs else lf.fn(*(values[i] for i in lf.inputs))
        return (values[self.output_name], values) if keep else values[self.output_name]

    def full(self):
        """(input variables, output variables) of the whole firmware."""
        x = self.trace_inputs(self.input_shape, self.input_type(self.input_name))
        return x, self.run(x)

    def layer(self, name: str) -> LayerFn:
        lf = next((f for f in self.layers if f.name == name), None)
        if lf is None or not lf.inputs:
            raise ConfigError(f"no traced layer named {name!r}; layers: {', '.join(f.name for f in self.layers if f.inputs)}")
        return lf

    def layer_graph(self, name: str, rows: int | None = None):
        """(input variables, output) of one layer alone, its inputs of the plan's exact types. With
        rows, a per-particle layer is traced for that many rows of its input (one copy: rows=1)."""
        lf = self.layer(name)
        xs = []
        for i in lf.inputs:
            shape = tuple(int(d) for d in self.plan[i].shape)
            if rows is not None and lf.per_particle and len(shape) == 2:
                shape = (rows, *shape[1:])
            xs.append(self.trace_inputs(shape, self.input_type(i)))
        return xs, lf.fn(*xs)


def _concat(parts: list):
    from da4ml.trace import FixedVariableArray

    return FixedVariableArray(np.concatenate([p._vars.ravel() for p in parts]), parts[0].solver_options)
