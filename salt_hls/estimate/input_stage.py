"""Resource and delay model of the input stage, in the estimator's units and rules
(salt_hls/estimate/cost.py: one LUT per adder result bit, its multiplier rule, its adder delay),
so the estimator can add it as one more layer.

- Deltas, per delivered word: deta = eta - eta_jet (13-bit subtract) and its saturation to 10 bits
  (10 LUTs of select); dphi = phi - phi_jet (12 bits), the wrap (two 12-bit compares with +-720 and
  a 12-bit add of the selected turn) and its saturation (10).
- A compare-exchange of the sorting networks: one LUT per key bit (the compare's carry chain)
  plus one LUT per element bit (a LUT6_2 gives both outputs of the 2:1 swap of one bit).
  The pT selection (only when M > N) compares (pt, index) and swaps (pt, deta, dphi, index);
  the k_T sort compares (kt2, pt, index) and swaps the element with its kt2.
- Per kept particle: deta^2, dphi^2 (10 x 10), pt^2 (14 x 14), pt^2 x dR^2 (28 x 20 bits) and the
  20-bit add of the squares, by the estimator's multiplier rule. No table: dR is never formed.
- Output: the select of the padding value, one LUT per output bit (14 + 10 + 10 per slot).
Pipelined at II = 1; registers are not counted (the estimator's schedule adds them).
"""

from __future__ import annotations

from salt_hls.estimate.cost import adder_luts, multiplier, t_add
from salt_hls.fixed import FixedType as Fx
from salt_hls.l1input.sortnet import n_comparators, n_stages
from salt_hls.l1input.stage import DELTA_BITS, KT2_BITS, StageConfig
from salt_hls.l1input.words import ETA_BITS, PHI_BITS, PT_BITS

DELTA_LUTS = (ETA_BITS + 1) + DELTA_BITS + PHI_BITS + 1 + 2 * (PHI_BITS + 1) + (PHI_BITS + 1) + DELTA_BITS  # 81 per word


def comparator_luts(key_bits: int, element_bits: int) -> int:
    return key_bits + element_bits


def stage_cost(cfg: StageConfig) -> dict:
    ib = cfg.index_bits
    element = PT_BITS + 2 * DELTA_BITS + ib
    pt_key, kt_key = PT_BITS + ib, KT2_BITS + PT_BITS + ib
    sel_cmp = n_comparators(cfg.n_in) if cfg.selects else 0
    kt_cmp = n_comparators(cfg.n_out)
    d = Fx(DELTA_BITS, DELTA_BITS, True)
    pt = Fx(PT_BITS, PT_BITS, False)
    products = [
        multiplier(d, d),
        multiplier(d, d),
        multiplier(pt, pt),
        multiplier(Fx(2 * PT_BITS, 2 * PT_BITS, False), Fx(2 * DELTA_BITS, 2 * DELTA_BITS, False)),
    ]
    parts = {
        "deltas": {"luts": cfg.n_in * DELTA_LUTS, "dsp": 0},
        "pt_selection": {
            "comparators": sel_cmp,
            "stages": n_stages(cfg.n_in) if cfg.selects else 0,
            "luts": sel_cmp * comparator_luts(pt_key, element),
            "dsp": 0,
        },
        "kt_key": {
            "luts": cfg.n_out * (sum(p["luts"] for p in products) + adder_luts(2 * DELTA_BITS)),
            "dsp": cfg.n_out * sum(p["dsp"] for p in products),
        },
        "kt_sort": {
            "comparators": kt_cmp,
            "stages": n_stages(cfg.n_out),
            "luts": kt_cmp * comparator_luts(kt_key, element + KT2_BITS),
            "dsp": 0,
        },
        "padding_select": {"luts": cfg.n_out * (PT_BITS + 2 * DELTA_BITS), "dsp": 0},
    }
    # Critical path: the deltas, the selection network, the k_T key (two products in sequence), the k_T network.
    delay = (
        2 * t_add(PHI_BITS + 1)
        + (n_stages(cfg.n_in) * t_add(pt_key) if cfg.selects else 0.0)
        + products[0]["delay_ns"]
        + t_add(2 * DELTA_BITS)
        + products[3]["delay_ns"]
        + n_stages(cfg.n_out) * t_add(kt_key)
    )
    return {
        "n_in": cfg.n_in,
        "n_out": cfg.n_out,
        "luts": sum(p["luts"] for p in parts.values()),
        "dsp": sum(p["dsp"] for p in parts.values()),
        "bram18": 0,
        "delay_ns": round(delay, 2),
        "parts": parts,
    }


def estimate_layer(ip: dict, usable_ns: float) -> dict:
    """The stage as one row of the estimator's per-layer breakdown (salt_hls.estimate.estimator),
    for a project built with the input stage (its salt_summary.json "ip"); it runs before the
    network, in whole cycles of `usable_ns` (the clock minus its uncertainty)."""
    import math

    c = stage_cost(StageConfig(ip["particles"], ip["candidates"], pad=tuple(ip["pad"])))
    cycles = max(math.ceil(c["delay_ns"] / usable_ns), 1)
    return {
        "name": "input_stage",
        "function": "nnet::salt_input_stage",
        "kind": "input_stage",
        "lut": c["luts"],
        "lut_by_category": {"input_stage": c["luts"]},
        "ff": 0,
        "dsp": c["dsp"],
        "bram18": 0,
        "copies": 1,
        "instances": 1,
        "interval_cycles": 1,
        "start": {"cycle": 0, "ns": 0.0},
        "end": {"cycle": cycles, "ns": round(c["delay_ns"], 3)},
        "steps": [{"what": name, "luts": part["luts"]} for name, part in c["parts"].items()],
        "cmvm": [],
        "multipliers": [],
        "tables": [],
        "notes": [
            f"salt_hls.estimate.input_stage.stage_cost: M = {c['n_in']} words, N = {c['n_out']}; "
            f"{c['delay_ns']} ns of logic in {cycles} cycles; its pipeline registers are not counted"
        ],
        "latency_cycles": cycles,
    }
