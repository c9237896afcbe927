"""Cost primitives of the estimate (LUT, FF, DSP, BRAM18 and combinational delay on an
UltraScale+ -2 part) and the cost of every layer kind of a converted SAL-T project.

Every constant is here, named, with the rule it stands for; nothing is fitted to vendor
results (none exist on this project's machines), so the figures are a model, not a measurement.
The cast rule was derived from Yosys's mapping of single casts (benchmarks/rtl/rules.md), and the
estimate is measured against Yosys per layer in benchmarks/rtl/results.md.

- Constant-weight multiplications (dense/pointwise, partition and Linformer projections, the
  logit convolution, DyT's alpha*x+beta): da4ml's CMVM optimizer with the options hls4ml 1.3's
  distributed_arithmetic strategy passes (HWConfig(1, -1, -1), hard_dc=2, searching every
  decomposition); its `cost` is the LUT count of the adder graph, its latency the adder depth.
- Data x data products: one DSP48E2 when both operands (as signed) fit 27 x 18, else
  ceil(a/27) x ceil(b/18) DSPs (best orientation); when an operand is narrower than
  DSP_MIN_BITS (signed), a LUT multiplier of (wa + 1) x wb LUTs (da4ml's own vmul rule).
  Products feeding a sum are accumulated in the DSP post-adder/cascade (no LUTs). What-if
  dsp_packing: two products that share an operand in one DSP48E2 when each product fits 18 bits
  (AMD WP486's INT8 packing), plus 8 LUTs of sign correction per DSP.
- Tables: one ROM per parallel look-up. As LUT-ROM: per output bit, one LUT6 per 64-entry block
  in which that bit is not constant (constant blocks are wires), plus the 4:1 LUT muxes above
  the CLB's F7/F8/F9 muxes (512 entries). As BRAM18 (when the table exceeds bram_min_bits):
  the best 18 Kb aspect ratio, two look-ups per BRAM18 (two read ports).
- Adders: one LUT per result bit (carry chain). Compare-and-select (max): W + W/2 LUTs.
  Casts (cast_cost), as Yosys maps them: rounding in the carry chain (no LUT); saturation W + 2 o - 1
  LUTs (o integer bits dropped); a clamp at zero src.width - 1.
- Sharing (ReuseFactor R): R look-ups/products/CMVM copies share one unit; each shared unit gets
  an R:1 input mux per operand bit (a tree of LUT6 4:1 muxes: ceil((R-1)/3) LUTs per bit).
  A CMVM with one copy (the classifier head after pooling) is not divided (no saving counted).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from salt_hls.errors import DataError
from salt_hls.estimate.project import Call, Project, log2_ceil
from salt_hls.fixed import FixedType
from salt_hls.geometry import same_padding
from salt_hls.settings import DEFAULT_BRAM_MIN_BITS, DSP_MIN_BITS, HLS4ML_DA_HARD_DC

# ---------------------------------------------------------------- technology (UltraScale+, speed grade -2)

T_ADD_BASE_NS, T_ADD_PER_BIT_NS = 0.6, 0.0125  # one adder level: LUT + CARRY8 chain + routing (16 b: 0.8, 32 b: 1.0 ns)
T_LUT_NS = 0.5  # one LUT level + routing (select, compare with a constant, clamp)
T_DSP_NS = 2.8  # DSP48E2 multiply, pre/post registers off (HLS chains it at 200 MHz)
T_DSP_CASCADE_NS = 0.5  # each further term accumulated through the PCOUT->PCIN cascade
T_ROM_LUT_NS = {64: 0.6, 512: 1.0}  # LUT6 + F7/F8/F9 muxes; deeper: + one LUT level + fanout
T_ROM_LUT_DEEP_NS = 1.6
BRAM_LATENCY_CYCLES = 1  # address registered at the edge, data out in the next cycle
T_BRAM_CLK_TO_OUT_NS = 1.2  # BRAM output without its optional output register
DSP_PORTS = (27, 18)  # DSP48E2 signed multiplier
DSP_PACK_MAX_PRODUCT_BITS = 18  # packing two products in one DSP48E2 (WP486): each product within 18 bits
DSP_PACK_CORRECTION_LUTS = 8  # sign correction of the upper product, per packed DSP
BRAM18_SHAPES = ((16384, 1), (8192, 2), (4096, 4), (2048, 9), (1024, 18), (512, 36))
BRAM_PORTS = 2

# da4ml options: those of hls4ml 1.3's distributed_arithmetic pass at its default depth constraint
DA_HWCONF = (1, -1, -1)
DA_SOLVER_OPTIONS = {"hard_dc": HLS4ML_DA_HARD_DC, "search_all_decompose_dc": True}


def t_add(width: int) -> float:
    """Delay of one adder level of `width` result bits."""
    return round(T_ADD_BASE_NS + T_ADD_PER_BIT_NS * max(int(width), 1), 4)


# ---------------------------------------------------------------- results


@dataclass
class Step:
    """One atomic step on the layer's critical path: combinational delay, or a registered
    memory read of `cycles` clock cycles; `bits` are the values live after the step (registered
    when a cycle boundary follows it)."""

    what: str
    delay_ns: float = 0.0
    bits: int = 0
    cycles: int = 0  # > 0: a registered operation (BRAM read)
    atom_ns: float = 0.0  # > 0: a chain of levels of this delay, which may be cut between levels


@dataclass
class LayerCost:
    name: str
    function: str
    kind: str
    luts: dict = field(default_factory=dict)  # category -> LUTs
    dsp: int = 0
    bram18: int = 0
    copies: int = 1  # parallel copies needed for II = 1
    instances: int = 1  # copies actually built after sharing
    interval: int = 1  # cycles between two inputs of this layer
    extra_cycles: int = 0  # cycles a layer spends beyond its steps (pixels processed one after another)
    steps: list = field(default_factory=list)
    in_bits: int = 0
    out_bits: int = 0
    tables: list = field(default_factory=list)  # [{name, entries, bits, lookups, copies, impl, luts, bram18}]
    multipliers: list = field(default_factory=list)  # [{what, count, a, b, impl, dsp_each, luts_each}]
    cmvm: list = field(default_factory=list)  # [{what, shape, input, luts_each, depth, copies}]
    notes: list = field(default_factory=list)

    def add(self, category: str, luts: float) -> None:
        if luts:
            self.luts[category] = self.luts.get(category, 0.0) + float(luts)

    @property
    def lut_total(self) -> int:
        return math.ceil(sum(self.luts.values()))


# ---------------------------------------------------------------- primitives


def mux_luts_per_bit(ways: int) -> int:
    """An R:1 multiplexer per bit from LUT6 4:1 muxes."""
    return 0 if ways <= 1 else math.ceil((ways - 1) / 3)


def adder_luts(width: int) -> int:
    return max(int(width), 1)


def two_operand_adder_luts(a: FixedType, b: FixedType) -> int:
    """LUTs of a + b on a carry chain: one per bit position where both operands are live.

    Measured in Yosys (benchmarks/rtl/results.md, res1/res2 of salt_n16: 15 and 16 LUTs per element
    where the result width, 18 and 19, was charged): a bit where one operand is a constant (below the
    other's LSB, or an unsigned operand's zero extension) goes straight to the carry chain's XOR with
    no LUT, and the positions above both MSBs repeat the sign bits' LUT, which synthesis shares."""
    lo, hi = max(-a.frac, -b.frac), max(a.integer, b.integer) - 1

    def live(t: FixedType, pos: int) -> bool:
        return pos <= t.integer - 1 or t.signed  # a signed operand's extension is its sign bit

    return sum(1 for pos in range(lo, hi + 1) if live(a, pos) and live(b, pos))


def cast_cost(src: FixedType, dst: FixedType, rounding: bool = True) -> tuple[float, float]:
    """(LUTs, delay ns) of one cast src -> dst: rounding (AP_RND*) when fractional bits are
    dropped, saturation (AP_SAT*) or ReLU-style clamping when integer bits or the sign are.
    rounding=False costs the cast as truncation (dropping bits is free).

    Measured in Yosys on single casts (benchmarks/rtl/rules.md): the rounding increment rides the
    carry chain with no LUT of its own (0 LUTs for 1 to 12 dropped bits; its delay is an adder's);
    a signed saturation is the select over the W output bits plus one LUT per dropped integer bit
    for each of the two range comparisons (W + 2 o - 1, exact for o = 1, 5, 9 and W = 8..20); a
    clamp at zero (signed into unsigned, ReLU) zeroes every source bit below the sign before the
    cast and the clamp at the top folds into it (src.width - 1, exact for three widths). Vivado
    may add a route-through LUT under carry-chain bits that Yosys drives from a register."""
    luts, delay = 0.0, 0.0
    dropped_frac = src.frac - dst.frac
    if dropped_frac > 0 and dst.rounds and rounding:
        delay += t_add(dst.width)
    overflow_bits = (src.integer - int(src.signed)) - (dst.integer - int(dst.signed))
    if src.signed and not dst.signed:
        luts += src.width - 1
        delay += T_LUT_NS
    elif overflow_bits > 0 and dst.saturates:
        luts += dst.width + 2 * overflow_bits - 1
        delay += T_LUT_NS
    return luts, delay


def multiplier(a: FixedType, b: FixedType, dsp_min_bits: int = DSP_MIN_BITS, bound: str = "auto") -> dict:
    """One data x data product: {'impl': 'dsp'|'lut', 'dsp': n, 'luts': n, 'delay_ns': t}. bound: the
    project's --products; auto leaves the choice to the HLS tool (DSP from dsp_min_bits), dsp / fabric force it."""
    sa, sb = a.signed_width, b.signed_width
    if bound == "fabric" or (bound == "auto" and min(sa, sb) < dsp_min_bits):
        wa, wb = a.width, b.width
        luts = min((wa + 1) * wb, (wb + 1) * wa)
        return {"impl": "lut", "dsp": 0, "luts": luts, "delay_ns": max(log2_ceil(min(wa, wb)), 1) * t_add(wa + wb)}
    p, q = DSP_PORTS
    n = min(math.ceil(sa / p) * math.ceil(sb / q), math.ceil(sb / p) * math.ceil(sa / q))
    return {"impl": "dsp", "dsp": n, "luts": 0, "delay_ns": T_DSP_NS + (t_add(sa + sb) if n > 1 else 0.0)}


def _bits_of(values: np.ndarray, t: FixedType) -> np.ndarray:
    """Two's complement (or unsigned) bit matrix (entries x width) of table values of type t."""
    ints = np.round(np.asarray(values, np.float64) / t.lsb).astype(np.int64)
    ints = np.where(ints < 0, ints + (1 << t.width), ints)
    return ((ints[:, None] >> np.arange(t.width)[None, :]) & 1).astype(np.uint8)


def rom_luts(values: np.ndarray, t: FixedType) -> tuple[int, float]:
    """(LUTs, delay ns) of one LUT-ROM copy holding `values` in type t (see module docstring)."""
    bits = _bits_of(values, t)
    size = len(values)
    blocks = math.ceil(size / 64)
    groups = math.ceil(size / 512)
    luts = 0
    for b in range(bits.shape[1]):
        col = np.pad(bits[:, b], (0, blocks * 64 - size), mode="edge").reshape(blocks, 64)
        live = int(np.sum(col.min(axis=1) != col.max(axis=1)))
        if live == 0:
            continue  # a constant or block-constant bit: wires and the F7/F8/F9 muxes' constant inputs
        luts += live + (mux_luts_per_bit(groups) if groups > 1 else 0)
    delay = next((t_ns for depth, t_ns in T_ROM_LUT_NS.items() if size <= depth), T_ROM_LUT_DEEP_NS)
    return luts, delay


def bram18_per_copy(entries: int, width: int) -> int:
    return min(math.ceil(entries / d) * math.ceil(width / w) for d, w in BRAM18_SHAPES)


@dataclass
class Cmvm:
    luts: float
    depth: int  # adder levels on the longest path


_CMVM_CACHE: dict = {}


def cmvm(kernel: np.ndarray, in_type: FixedType, bias: np.ndarray | None = None) -> Cmvm:
    """LUTs and adder depth of y = x @ kernel (+ bias) for x of type in_type, by da4ml."""
    n_in = np.asarray(kernel).shape[0] if np.ndim(kernel) == 2 else 0
    return cmvm_kif(kernel, np.tile(in_type.kif, (n_in, 1)), bias)


def cmvm_kif(kernel: np.ndarray, kif: np.ndarray, bias: np.ndarray | None = None) -> Cmvm:
    """The same with one format per input: kif is (n_in, 3), da4ml's (keep_negative, integer, fractional) per row."""
    kernel = np.asarray(kernel, np.float64)
    if kernel.ndim != 2:
        raise ValueError("cmvm kernel must be 2-D (n_in, n_out)")
    kif = np.asarray(kif, np.int64)
    if kif.shape != (kernel.shape[0], 3):
        raise ValueError(f"cmvm needs one (k, i, f) per kernel row: {kif.shape} for {kernel.shape[0]} rows")
    if not np.any(kernel) and (bias is None or not np.any(bias)):
        return Cmvm(0.0, 0)
    key = (kernel.tobytes(), kernel.shape, kif.tobytes(), None if bias is None else np.asarray(bias, np.float64).tobytes())
    if key not in _CMVM_CACHE:
        from da4ml.trace import FixedVariableArray, HWConfig, comb_trace

        inp = FixedVariableArray.from_kif(
            kif[:, 0], kif[:, 1], kif[:, 2], HWConfig(*DA_HWCONF), solver_options=dict(DA_SOLVER_OPTIONS)
        )
        out = inp @ kernel
        if bias is not None:
            out = out + np.asarray(bias, np.float64).ravel()
        sol = comb_trace(inp, out)
        _CMVM_CACHE[key] = Cmvm(float(sol.cost), math.ceil(sol.latency[1]))
    return _CMVM_CACHE[key]


def csd_digits(value: float, frac: int) -> int:
    """Non-zero digits of the canonical signed-digit form of value * 2^frac."""
    n = abs(round(value * 2**frac))
    digits = 0
    while n:
        if n & 1:
            digits += 1
            n = n + 1 if (n & 3) == 3 else n - 1
        n >>= 1
    return digits


def per_product_luts(kernel: np.ndarray, in_type: FixedType, w_frac: int, out_type: FixedType) -> float:
    """A reference without sharing: every product a CSD shift-add chain, then an adder tree per
    output (what a per-multiplication fabric mapping costs); not used in the totals."""
    total = 0.0
    for col in np.asarray(kernel).T:
        terms = 0
        for w in col:
            d = csd_digits(w, w_frac)
            if d:
                total += (d - 1) * (in_type.width + 2)
                terms += 1
        total += max(terms - 1, 0) * out_type.width
    return total


# ---------------------------------------------------------------- options


@dataclass
class CostOptions:
    reuse: int = 1
    table_impl: str = "lut"  # lut (what the firmware builds) | auto | bram (what-ifs)
    bram_min_bits: int = DEFAULT_BRAM_MIN_BITS
    dsp_min_bits: int = DSP_MIN_BITS
    products: str = "auto"  # the project's --products: auto (dsp_min_bits decides), dsp or fabric (bound by pragma)
    full_parallel: bool = False  # cost pointwise layers as ParallelizationFactor = N (all particles at once)
    table_entries: int | None = None  # cost every table as if it had this many entries (coarser index)
    cast_mode: str = "typed"  # typed: as the ap types say; trn: casts truncate (no rounding adders), saturation kept
    dsp_packing: bool = False  # two products sharing an operand in one DSP48E2 when each fits 18 bits (AMD WP486)


# ---------------------------------------------------------------- layers


class LayerCoster:
    def __init__(self, project: Project, options: CostOptions):
        self.p = project
        self.o = options

    # ---- helpers

    def _shared(self, copies: int) -> tuple[int, int]:
        """(instances, ways): `copies` parallel units shared R ways."""
        r = max(self.o.reuse, 1)
        inst = max(math.ceil(copies / r), 1)
        ways = math.ceil(copies / inst)
        self._ways = max(getattr(self, "_ways", 1), ways)
        return inst, ways

    def _table(self, lc: LayerCost, label: str, values: np.ndarray, t: FixedType, lookups: int, index_bits: int) -> Step:
        want = self.o.table_entries
        if want and want < len(values):
            stride = len(values) // want  # the same function sampled on a coarser index grid
            values = values[::stride][:want]
            index_bits = log2_ceil(len(values))
            lc.notes.append(f"what-if: {label} table costed with {len(values)} entries")
        entries, width = len(values), t.width
        copies, ways = self._shared(lookups)
        total_bits = entries * width
        impl = self.o.table_impl
        if impl == "auto":
            impl = "bram" if total_bits > self.o.bram_min_bits else "lut"
        luts_mux = copies * index_bits * mux_luts_per_bit(ways)
        lc.add("sharing_mux", luts_mux)
        if impl == "lut":
            each, delay = rom_luts(values, t)
            lc.add("table_rom", each * copies)
            lc.tables.append(
                {
                    "name": label,
                    "entries": entries,
                    "bits": width,
                    "lookups": lookups,
                    "copies": copies,
                    "impl": "lut-rom",
                    "luts_each": each,
                    "luts": each * copies,
                    "bram18": 0,
                }
            )
            return Step(f"{label} read (LUT-ROM)", delay)
        per = bram18_per_copy(entries, width)
        n = math.ceil(copies / BRAM_PORTS) * per
        lc.bram18 += n
        lc.tables.append(
            {
                "name": label,
                "entries": entries,
                "bits": width,
                "lookups": lookups,
                "copies": copies,
                "impl": "bram18",
                "luts_each": 0,
                "luts": 0,
                "bram18": n,
            }
        )
        return Step(f"{label} read (BRAM18)", T_BRAM_CLK_TO_OUT_NS, cycles=BRAM_LATENCY_CYCLES)

    def _mults(self, lc: LayerCost, label: str, a: FixedType, b: FixedType, count: int, terms: int) -> float:
        """`count` products a x b, summed `terms` at a time; returns the delay of product + sum."""
        m = multiplier(a, b, self.o.dsp_min_bits, self.o.products)
        inst, ways = self._shared(count)
        packed = (
            self.o.dsp_packing
            and m["impl"] == "dsp"
            and m["dsp"] == 1
            and a.signed_width + b.signed_width <= DSP_PACK_MAX_PRODUCT_BITS
        )
        if packed:  # every product here shares one operand with another (a row of q, a of a head, 1/sum of a row)
            m = {**m, "impl": "dsp-packed", "delay_ns": m["delay_ns"] + t_add(DSP_PACK_MAX_PRODUCT_BITS)}
            lc.dsp += math.ceil(inst / 2)
            lc.add("mult_lut", math.ceil(inst / 2) * DSP_PACK_CORRECTION_LUTS)
        else:
            lc.dsp += m["dsp"] * inst
        lc.add("mult_lut", m["luts"] * inst)
        lc.add("sharing_mux", inst * (a.width + b.width) * mux_luts_per_bit(ways))
        lc.multipliers.append(
            {
                "what": label,
                "count": count,
                "instances": inst,
                "a": a.flags(),
                "b": b.flags(),
                "impl": m["impl"],
                "dsp_each": m["dsp"],
                "luts_each": m["luts"],
            }
        )
        if m["impl"] != "lut":
            return m["delay_ns"] + (terms - 1) * T_DSP_CASCADE_NS
        return m["delay_ns"] + log2_ceil(terms) * t_add(a.width + b.width + log2_ceil(terms))

    def _cmvm(
        self,
        lc: LayerCost,
        label: str,
        kernel,
        in_t: FixedType,
        copies: int,
        bias=None,
        w_frac=None,
        out_t=None,
        divisible: bool = True,
    ) -> Cmvm:
        c = cmvm(kernel, in_t, bias)
        inst, ways = self._shared(copies) if divisible else (copies, 1)
        lc.add("cmvm", c.luts * inst)
        lc.add("sharing_mux", inst * kernel.shape[0] * in_t.width * mux_luts_per_bit(ways))
        entry = {
            "what": label,
            "shape": list(kernel.shape),
            "input": in_t.flags(),
            "luts_each": c.luts,
            "depth": c.depth,
            "copies": copies,
            "instances": inst,
        }
        if w_frac is not None and out_t is not None:
            entry["per_product_luts_each"] = round(per_product_luts(kernel, in_t, w_frac, out_t), 1)
        lc.cmvm.append(entry)
        return c

    def _adder_tree_then_cast(
        self, lc: LayerCost, what: str, depth: int, acc_t: FixedType, out_t: FixedType, n_values: int
    ) -> None:
        """The steps of a constant-weight sum: `depth` adder levels into `n_values` accumulators, then the cast."""
        ta = t_add(acc_t.width)
        lc.steps.append(Step(f"{what} ({depth} levels)", depth * ta, n_values * acc_t.width, atom_ns=ta))
        lc.steps.append(Step("cast", self._casts(lc, acc_t, out_t, n_values), lc.out_bits))

    def _casts(self, lc: LayerCost, src: FixedType, dst: FixedType, n: int) -> float:
        luts, delay = cast_cost(src, dst, rounding=self.o.cast_mode != "trn")
        lc.add("cast", luts * n)
        return delay

    # ---- dispatch

    def cost(self, call: Call) -> LayerCost:
        p = self.p
        kind = p.kind(call) or call.function
        lc = LayerCost(call.name, call.function, kind)
        lc.in_bits = sum(p.bits_of_var(v) for v in call.inputs)
        lc.out_bits = p.bits_of_var(call.output)
        rule = _cost_rules().get(call.function)
        if rule is None:
            raise DataError(
                f"{p.path}: layer {call.name} calls nnet::{call.function}, which the estimator does not model "
                f"(it models {', '.join(sorted(_cost_rules()))}: the cost rules of salt_hls.operations)"
            )
        self._ways = 1
        rule(self, call, lc)
        lc.interval = max(lc.interval, self.o.reuse)
        if self._ways > 1:
            lc.extra_cycles += self._ways - 1  # a shared unit takes its operand sets one cycle after another
        return lc

    # ---- hls4ml layers

    def _dense_common(self, call: Call, lc: LayerCost, n_in: int, n_out: int, copies: int, divisible: bool) -> Cmvm:
        p, cfg = self.p, self.p.config(call)
        in_t, out_t = p.type_of_var(call.inputs[0]), p.type_of_var(call.output)
        w_type, b_type = cfg.get("weight_t"), cfg.get("bias_t")
        w = p.weight(call.weights[0], w_type).reshape(n_in, n_out)
        b = p.weight(call.weights[1], b_type) if len(call.weights) > 1 else None
        if b is not None and not np.any(b):
            b = None
        w_frac = p.types[w_type].frac if w_type in p.types else 8
        c = self._cmvm(lc, f"{n_in}x{n_out}", w, in_t, copies, b, w_frac, out_t, divisible)
        ta = t_add(p.types.get(cfg.get("accum_t", ""), out_t).width)
        lc.steps.append(Step(f"adder graph ({c.depth} levels)", c.depth * ta, lc.out_bits, atom_ns=ta))
        acc_t = p.types.get(cfg.get("accum_t", ""), out_t)
        if acc_t != out_t:
            self._casts(lc, acc_t, out_t, n_out * copies)
        return c

    def pointwise_conv_1d(self, call: Call, lc: LayerCost) -> None:
        cfg = self.p.config(call)
        n, n_chan, n_filt = cfg["in_width"], cfg["n_chan"], cfg["n_filt"]
        groups = self._particle_group_count(cfg)
        per_cycle = n // groups
        lc.copies = n
        self._dense_common(call, lc, n_chan, n_filt, per_cycle, divisible=True)
        lc.instances = self._shared(per_cycle)[0]
        self._particle_groups(call, lc, n, groups, n_chan)

    def _particle_group_count(self, cfg: dict) -> int:
        """hls4ml's Conv1D struct calls it n_partitions: the groups of particles processed one after another
        (N / ParallelizationFactor). Not SAL-T's partitions p (n_partitions of the partition projection)."""
        return 1 if self.o.full_parallel else cfg.get("n_partitions", 1)

    def _particle_groups(self, call: Call, lc: LayerCost, n: int, groups: int, n_chan: int) -> None:
        """hls4ml's Conv1D with ParallelizationFactor n/groups: `groups` particle groups one after another
        through the same `lc.instances` units, each fed through a `groups`-way input multiplexer."""
        if groups == 1:
            return
        lc.add("sharing_mux", lc.instances * n_chan * self.p.type_of_var(call.inputs[0]).width * mux_luts_per_bit(groups))
        lc.interval = groups * max(self.o.reuse, 1)
        lc.extra_cycles = (groups - 1) * max(self.o.reuse, 1)
        lc.notes.append(f"ParallelizationFactor {n // groups}: {groups} groups of particles one after another, II {lc.interval}")

    def _da_kernel(self, call: Call, lc: LayerCost, kernel: str, copies: int) -> None:
        """A layer built by hls4ml's distributed_arithmetic strategy: cost the adder graph it emitted."""
        k = self.p.da_kernels.get(kernel)
        if k is None:
            raise DataError(f"{self.p.path}: layer {call.name} uses {kernel}, which nnet_utils/nnet_code_gen.h does not define")
        lc.add("cmvm", k.adder_bits * copies)
        lc.cmvm.append(
            {
                "what": f"{kernel} (distributed arithmetic, as emitted)",
                "adders": k.n_adders,
                "luts_each": k.adder_bits,
                "depth": k.depth,
                "copies": copies,
                "instances": copies,
            }
        )
        ta = t_add(k.out_width or self.p.type_of_var(call.output).width)
        lc.steps.append(Step(f"adder graph ({k.depth} levels)", k.depth * ta, lc.out_bits, atom_ns=ta))

    def dense_distributed_arithmetic(self, call: Call, lc: LayerCost) -> None:
        self._da_kernel(call, lc, call.config, 1)

    def conv1d_distributed_arithmetic(self, call: Call, lc: LayerCost) -> None:
        cfg = self.p.config(call)
        if "dense_da" not in cfg or cfg.get("filt_width", 1) != 1:
            raise DataError(
                f"{self.p.path}: layer {call.name} is a Conv1D that is neither pointwise nor distributed "
                "arithmetic; the estimator models only the layers salt-hls convert writes"
            )
        n, groups = cfg["in_width"], self._particle_group_count(cfg)
        lc.copies = n
        self._da_kernel(call, lc, cfg["dense_da"], n // groups)
        lc.instances = n // groups
        self._particle_groups(call, lc, n, groups, cfg["n_chan"])

    def dense(self, call: Call, lc: LayerCost) -> None:
        cfg = self.p.config(call)
        self._dense_common(call, lc, cfg["n_in"], cfg["n_out"], 1, divisible=False)
        if self.o.reuse > 1:
            lc.notes.append("a single-copy CMVM is not divided by the reuse factor (no saving counted)")

    def elementwise_cast(self, call: Call, lc: LayerCost) -> None:
        src, dst = self.p.type_of_var(call.inputs[0]), self.p.type_of_var(call.output)
        n = self.p.size_of_var(call.output)
        lc.copies = lc.instances = n
        delay = self._casts(lc, src, dst, n)
        if call.function == "relu" and not (src.signed and not dst.signed):
            lc.add("cast", n * dst.width / 2)  # ReLU into a signed type: zeroing select (LUT5 pairs)
            delay = delay or T_LUT_NS
        lc.steps.append(Step("cast", delay, lc.out_bits))

    def add(self, call: Call, lc: LayerCost) -> None:
        out = self.p.type_of_var(call.output)
        n = self.p.size_of_var(call.output)
        lc.copies = lc.instances = n
        a, b = (self.p.type_of_var(v) for v in call.inputs)
        lc.add("add", n * two_operand_adder_luts(a, b))
        lc.steps.append(Step("add", t_add(out.width), lc.out_bits))

    def global_pooling1d(self, call: Call, lc: LayerCost) -> None:
        cfg = self.p.config(call)
        n, feats = cfg["n_in"], cfg["n_filt"]
        t = self.p.type_of_var(call.inputs[0])
        levels = log2_ceil(n)
        lc.copies = lc.instances = feats
        if cfg.get("pool_op") == "Average":
            lc.add("add", feats * (n - 1) * (t.width + levels))
            lc.steps.append(Step("sum tree", levels * t_add(t.width + levels), lc.out_bits, atom_ns=t_add(t.width + levels)))
            self._casts(lc, FixedType(t.width + levels, t.integer + levels, t.signed), self.p.type_of_var(call.output), feats)
            lc.notes.append("average pooling: the 1/n scaling is counted as a cast (n a power of two)")
        else:
            lc.add("compare_select", feats * (n - 1) * (t.width + math.ceil(t.width / 2)))
            lc.steps.append(
                Step("max tree", levels * (t_add(t.width) + T_LUT_NS), lc.out_bits, atom_ns=t_add(t.width) + T_LUT_NS)
            )

    # ---- SAL-T layers

    def partition_projection(self, call: Call, lc: LayerCost) -> None:
        p, cfg = self.p, self.p.config(call)
        # SAL-T's partitions p (k_T chunks of `chunk` particles), not hls4ml's particle groups
        n, n_kt, chunk, heads, hd, width = (
            cfg[k] for k in ("n_particles", "n_partitions", "chunk", "n_heads", "head_dim", "width")
        )
        in_t, out_t = p.type_of_var(call.inputs[0]), p.type_of_var(call.output)
        w = p.weight(call.weights[0], cfg.get("weight_t")).reshape(heads, n_kt, chunk)
        depth = 0
        for h in range(heads):
            for j in range(n_kt):
                valid = max(min(chunk, n - j * chunk), 0)
                c = self._cmvm(lc, f"head {h} partition {j}: {valid}x1", w[h, j, :valid].reshape(valid, 1), in_t, hd)
                depth = max(depth, c.depth)
        lc.copies = heads * n_kt * hd
        lc.instances = self._shared(hd)[0] * heads * n_kt
        self._adder_tree_then_cast(lc, "weighted sum", depth, p.types[cfg["accum_t"]], out_t, n_kt * width)

    def linformer_projection(self, call: Call, lc: LayerCost) -> None:
        p, cfg = self.p, self.p.config(call)
        n, k, heads, hd, width = (cfg[x] for x in ("n_particles", "k", "n_heads", "head_dim", "width"))
        in_t, out_t = p.type_of_var(call.inputs[0]), p.type_of_var(call.output)
        e = p.weight(call.weights[0], cfg.get("weight_t")).reshape(heads, n, k)
        depth = 0
        for h in range(heads):
            c = self._cmvm(lc, f"head {h}: {n}x{k}", e[h], in_t, hd)
            depth = max(depth, c.depth)
        lc.copies = heads * hd
        lc.instances = self._shared(hd)[0] * heads
        self._adder_tree_then_cast(lc, "projection", depth, p.types[cfg["accum_t"]], out_t, k * width)

    def _dot_products(
        self, lc: LayerCost, what: str, a: FixedType, b: FixedType, acc_t: FixedType, outs: int, terms: int
    ) -> None:
        """`outs` data x data dot products of `terms` terms each; sums in LUT adders unless DSP cascades take them."""
        lc.copies = outs * terms
        delay = self._mults(lc, what, a, b, outs * terms, terms)
        if lc.multipliers[-1]["impl"] == "lut":
            lc.add("add", outs * (terms - 1) * acc_t.width)
        lc.instances = lc.multipliers[-1]["instances"]
        lc.steps.append(Step("products and sums", delay, outs * acc_t.width))

    def attention_scores(self, call: Call, lc: LayerCost) -> None:
        p, cfg = self.p, self.p.config(call)
        n, k, heads, hd = (cfg[x] for x in ("n_particles", "k", "n_heads", "head_dim"))
        q_t, k_t = p.type_of_var(call.inputs[0]), p.type_of_var(call.inputs[1])
        acc_t, out_t = p.types[cfg["accum_t"]], p.type_of_var(call.output)
        outs = heads * n * k
        self._dot_products(lc, "Q.K~^T products", q_t, k_t, acc_t, outs, hd)
        s = cfg.get("scale_shift", 0)  # acc >> s: the top s bits become sign copies, the low s bits go
        shifted = FixedType(acc_t.width - s, acc_t.integer - s, acc_t.signed)
        d = self._casts(lc, shifted, out_t, outs)
        lc.steps.append(Step("cast", d, lc.out_bits))

    def weighted_values(self, call: Call, lc: LayerCost) -> None:
        p, cfg = self.p, self.p.config(call)
        n, k, width, heads = (cfg[x] for x in ("n_particles", "k", "width", "n_heads"))
        a_t, v_t = p.type_of_var(call.inputs[0]), p.type_of_var(call.inputs[1])
        acc_t, out_t = p.types[cfg["accum_t"]], p.type_of_var(call.output)
        summed = bool(cfg.get("sum_heads", False))  # the heads' outputs summed: width / heads columns of heads * k terms
        outs, terms = (n * width // heads, heads * k) if summed else (n * width, k)
        self._dot_products(lc, "A.V~ products", a_t, v_t, acc_t, outs, terms)
        d = self._casts(lc, acc_t, out_t, outs)
        lc.steps.append(Step("cast", d, lc.out_bits))

    def logit_conv(self, call: Call, lc: LayerCost) -> None:
        p, cfg = self.p, self.p.config(call)
        heads, n, k, height = (cfg[x] for x in ("n_heads", "n_particles", "k", "height"))
        in_t, out_t = p.type_of_var(call.inputs[0]), p.type_of_var(call.output)
        w = p.weight(call.weights[0], cfg.get("weight_t")).reshape(height, k)
        b = p.weight(call.weights[1], cfg.get("bias_t"))
        block = min(n, 32)  # the banded matrix grows as n^2; beyond 32 particles cost one 32-row block and scale
        c = self._cmvm(
            lc,
            f"banded {block * k}x{block * k} (one head, {block} particles)",
            _conv_matrix(w, block, k),
            in_t,
            heads,
            np.full(block * k, float(b[0])),
        )
        if block < n:
            scale = n / block
            lc.luts["cmvm"] *= scale
            lc.luts["sharing_mux"] = lc.luts.get("sharing_mux", 0.0) * scale
            lc.notes.append(f"logit convolution: da4ml on a {block}-particle block, LUTs scaled by {scale:g}")
        lc.copies = heads
        lc.instances = self._shared(heads)[0]
        acc_t = p.types[cfg["accum_t"]]
        ta = t_add(acc_t.width)
        lc.steps.append(Step(f"convolution ({c.depth} levels)", c.depth * ta, heads * n * k * acc_t.width, atom_ns=ta))
        d = self._casts(lc, acc_t, out_t, heads * n * k)
        lc.steps.append(Step("cast", d, lc.out_bits))

    def partition_softmax(self, call: Call, lc: LayerCost) -> None:
        p, cfg = self.p, self.p.config(call)
        rows, k = cfg["n_rows"], cfg["k"]
        in_t, out_t = p.type_of_var(call.inputs[0]), p.type_of_var(call.output)
        diff_t, exp_t, sum_t, inv_t = (p.types[cfg[x]] for x in ("diff_t", "exp_t", "sum_t", "inv_t"))
        exp_tab = p.weight(call.weights[0], _weight_type(p, call.weights[0]))
        inv_tab = p.weight(call.weights[1], _weight_type(p, call.weights[1]))
        exp_tab_t = p.types.get(_weight_type(p, call.weights[0]) or "", exp_t)
        inv_tab_t = p.types.get(_weight_type(p, call.weights[1]) or "", inv_t)
        lc.copies = rows
        lc.instances = rows
        lc.add("compare_select", rows * (k - 1) * (in_t.width + math.ceil(in_t.width / 2)))
        tc = t_add(in_t.width) + T_LUT_NS
        lc.steps.append(Step("row maximum", log2_ceil(k) * tc, lc.in_bits + rows * in_t.width, atom_ns=tc))
        lc.add("add", rows * k * diff_t.width)
        lc.steps.append(Step("differences", t_add(diff_t.width), rows * k * diff_t.width))
        eb = log2_ceil(len(exp_tab))
        lc.add("clamp", rows * k * (eb + 1))
        lc.steps.append(Step("index clamp", T_LUT_NS, rows * k * eb))
        lc.steps.append(self._table(lc, "exp", exp_tab, exp_tab_t, rows * k, eb))
        lc.steps[-1].bits = rows * k * exp_t.width
        lc.add("add", rows * (k - 1) * sum_t.width + rows * sum_t.width)
        ta = t_add(sum_t.width)
        lc.steps.append(Step("sum and sum - 1", (log2_ceil(k) + 1) * ta, rows * (k * exp_t.width + sum_t.width), atom_ns=ta))
        ib = log2_ceil(len(inv_tab))
        lc.add("clamp", rows * (ib + 1))
        lc.steps.append(Step("index clamp", T_LUT_NS, rows * (k * exp_t.width + ib)))
        lc.steps.append(self._table(lc, "reciprocal", inv_tab, inv_tab_t, rows, ib))
        lc.steps[-1].bits = rows * (k * exp_t.width + inv_t.width)
        delay = self._mults(lc, "e_j * 1/sum", exp_t, inv_t, rows * k, 1)
        lc.steps.append(Step("normalize", delay, rows * k * (exp_t.width + inv_t.width)))
        prod_t = FixedType(exp_t.width + inv_t.width, exp_t.integer + inv_t.integer, False)
        d = self._casts(lc, prod_t, out_t, rows * k)
        lc.steps.append(Step("cast", d, lc.out_bits))

    def pair_softmax(self, call: Call, lc: LayerCost) -> None:
        p, cfg = self.p, self.p.config(call)
        rows = cfg["n_rows"]
        out_t = p.type_of_var(call.output)
        diff_t = p.types[cfg["diff_t"]]
        top = p.weight(call.weights[0], _weight_type(p, call.weights[0]))
        low = p.weight(call.weights[1], _weight_type(p, call.weights[1]))
        tab_t = p.types.get(_weight_type(p, call.weights[0]) or "", out_t)
        lc.copies = lc.instances = rows
        # s_0 - s_1 and s_1 - s_0 side by side; the first one's sign selects |d| (one LUT per bit)
        lc.add("add", rows * 2 * diff_t.width)
        lc.steps.append(Step("differences", t_add(diff_t.width), rows * 2 * diff_t.width))
        lc.add("compare_select", rows * diff_t.width)
        lc.steps.append(Step("select |d|", T_LUT_NS, rows * diff_t.width))
        eb = log2_ceil(len(top))
        lc.add("clamp", rows * (eb + 1))
        lc.steps.append(Step("index clamp", T_LUT_NS, rows * eb))
        lc.steps.append(self._table(lc, "top", top, tab_t, rows, eb))
        self._table(lc, "low", low, tab_t, rows, eb)  # read beside top, same index
        lc.steps[-1].bits = rows * 2 * tab_t.width + rows
        # each output takes top or low by the sign (one LUT per bit)
        lc.add("compare_select", rows * 2 * out_t.width)
        lc.steps.append(Step("order", T_LUT_NS, lc.out_bits))

    def dynamic_tanh(self, call: Call, lc: LayerCost) -> None:
        p, cfg = self.p, self.p.config(call)
        n = cfg["n_in"]
        in_t = p.type_of_var(call.inputs[0])
        z_t, off_t = p.types[cfg["z_t"]], p.types[cfg["offset_t"]]
        ab = p.weight(call.weights[0], cfg.get("weight_t"))
        table = p.weight(call.weights[1], _weight_type(p, call.weights[1]))
        tab_t = p.types.get(_weight_type(p, call.weights[1]) or "", p.type_of_var(call.output))
        lc.copies = lc.instances = n
        c = self._cmvm(lc, "alpha * x + beta", np.array([[ab[0]]]), in_t, n, np.array([ab[1]]))
        ta = t_add(z_t.width)
        lc.steps.append(Step(f"alpha * x + beta ({c.depth} levels)", max(c.depth, 1) * ta, n * z_t.width, atom_ns=ta))
        bits = log2_ceil(len(table))
        # range checks z < -range, z >= range (the integer bits against constants), z + range (an adder over the
        # integer bits: the fraction passes through), the index clamp, and the select among {0, size - 1, index}
        lc.add("clamp", n * (2 * math.ceil(z_t.integer / 5) + off_t.integer + 1 + 1 + bits))
        lc.steps.append(Step("range check, offset, index", t_add(off_t.integer + 1) + T_LUT_NS, n * bits))
        lc.steps.append(self._table(lc, "tanh", table, tab_t, n, bits))
        lc.steps[-1].bits = lc.out_bits


def _cost_rules() -> dict:
    """Emitted C++ function -> cost rule, from the operation registry (loaded once)."""
    global _RULES
    if _RULES is None:
        from salt_hls.operations import cost_rules, load

        _RULES = {fn: load(path) for fn, path in cost_rules().items()}
    return _RULES


_RULES: dict | None = None


def _weight_type(p: Project, weight_name: str) -> str | None:
    """hls4ml names a weight array's type '<array>_t' (exp_table18 -> exp_table18_t)."""
    t = f"{weight_name}_t"
    return t if t in p.types else None


def _conv_matrix(w: np.ndarray, n: int, k: int) -> np.ndarray:
    """The logit convolution of one head as an (n*k) x (n*k) matrix (input flat index -> output)."""
    height = w.shape[0]
    pad_top, pad_left = same_padding(height)[0], same_padding(k)[0]
    m = np.zeros((n * k, n * k))
    for i in range(n):
        for j in range(k):
            for u in range(height):
                for v in range(k):
                    ii, jj = i + u - pad_top, j + v - pad_left
                    if 0 <= ii < n and 0 <= jj < k:
                        m[ii * k + jj, i * k + j] = w[u, v]
    return m
