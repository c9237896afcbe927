"""A pipeline schedule of the layers at the target clock, and the pipeline registers it implies.

Each layer is a chain of steps (estimate_cost.Step). Time is (cycle, ns into the cycle). The
usable part of a cycle is the period less hls4ml's clock uncertainty (27 % by default), as HLS
schedules. In the pipeline style (hls4ml's choice for io_parallel when every layer is fully
parallel), operations chain across layer boundaries within a cycle: a step that does not fit in
what is left of the cycle starts the next one; a step made of several adder or compare levels
may be cut between levels; a BRAM read ends the cycle and its data arrive in the next. In the
dataflow style (hls4ml's choice as soon as a Conv1D processes particles one group after another)
every layer starts on a cycle boundary. The latency is the cycle in which the output is
registered; the initiation interval the largest interval of any layer.

Flip-flops: every value alive across a cycle boundary is registered once per boundary: the
bits live after the step before the boundary (inside a layer), a layer's output for every
cycle it waits for its last consumer (three cycles or more: an SRL32 delay line, one LUT per bit
per 32 cycles plus one flip-flop per bit, as Vivado infers), and the top-level output register.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from salt_hls.estimate.cost import LayerCost, Step
from salt_hls.estimate.project import Project

_EPS = 1e-9
SRL_MIN_CYCLES = 3  # Vivado's default: shift registers of 3 or more stages become SRLs


@dataclass
class Placement:
    start: tuple[int, float]
    end: tuple[int, float]
    ff_internal: int = 0
    ff_hold: int = 0
    lut_hold: int = 0  # SRL32 delay lines for values held three cycles or more


@dataclass
class Schedule:
    usable_ns: float
    style: str
    latency_cycles: int
    interval: int
    busiest_cycle_ns: float
    ff_total: int
    placements: dict = field(default_factory=dict)  # layer name -> Placement
    critical_layers: list = field(default_factory=list)  # names on the path to the output


class _Clock:
    def __init__(self, usable_ns: float):
        self.u = usable_ns
        self.busiest = 0.0

    def run(self, t: tuple[int, float], step: Step, bits_before: int) -> tuple[tuple[int, float], int]:
        """Place one step starting at t; returns (end time, FF bits registered on the way)."""
        c, o = t
        ff = 0
        if step.cycles > 0:  # a registered memory read: the address is captured at the next edge
            if o > _EPS:
                ff += bits_before
            c, o = c + step.cycles, step.delay_ns
            self.busiest = max(self.busiest, o)
            return (c, o), ff
        d = step.delay_ns
        if d <= _EPS:
            return (c, o), 0
        atom = d if getattr(step, "atom_ns", 0) <= _EPS else step.atom_ns
        atom = min(atom, self.u)  # an operation longer than a cycle is pipelined inside
        if o + d <= self.u + _EPS:
            o += d
        else:
            # fill what is left of this cycle with whole atoms, then continue in the next cycles
            fit = math.floor((self.u - o + _EPS) / atom) if atom > _EPS else 0
            done = min(fit * atom, d)
            if done <= _EPS:
                ff += bits_before  # the step starts a new cycle: its inputs are registered
            else:
                o += done
                self.busiest = max(self.busiest, o)
                ff += step.bits
            left = d - done
            per_cycle = max(math.floor((self.u + _EPS) / atom), 1) * atom
            while left > _EPS:
                c, o = c + 1, 0.0
                take = min(left, per_cycle)
                o, left = take, left - take
                if left > _EPS:
                    ff += step.bits
                    self.busiest = max(self.busiest, o)
        self.busiest = max(self.busiest, o)
        return (c, o), ff


def schedule(project: Project, costs: list[LayerCost]) -> Schedule:
    usable = project.clock_ns * (1.0 - project.clock_uncertainty)
    clock = _Clock(usable)
    style = project.pipeline_style
    ready: dict[str, tuple[int, float]] = {v: (0, 0.0) for v in project.top_inputs}
    producer: dict[str, str] = {}
    placements: dict[str, Placement] = {}
    consumers_start: dict[str, int] = {}
    by_name = {c.name: c for c in costs}
    for call in project.calls:
        lc = by_name[call.name]
        start = max((ready[v] for v in call.inputs), default=(0, 0.0))
        ff_int = 0
        if style == "dataflow" and start[1] > _EPS:
            start = (start[0] + 1, 0.0)
            ff_int += lc.in_bits
        for v in call.inputs:
            consumers_start[v] = max(consumers_start.get(v, 0), start[0])
        t, bits = start, lc.in_bits
        for step in lc.steps:
            t, ff = clock.run(t, step, bits)
            ff_int += ff
            bits = step.bits or bits
        if lc.extra_cycles:
            t = (t[0] + lc.extra_cycles, t[1])
            ff_int += lc.out_bits  # the output buffer filled one group of particles at a time
        placements[call.name] = Placement(start, t, ff_int)
        ready[call.output] = t
        producer[call.output] = call.name
    # values held until their last consumer starts
    for var, name in producer.items():
        if var in consumers_start:
            hold = max(consumers_start[var] - ready[var][0], 0)
            bits = project.bits_of_var(var)
            if hold >= SRL_MIN_CYCLES:
                # Vivado turns a register chain without reset into SRL32 shift registers: one LUT per bit per
                # 32 cycles, and a flip-flop at the end
                placements[name].lut_hold = bits * math.ceil((hold - 1) / 32)
                placements[name].ff_hold = bits
            else:
                placements[name].ff_hold = hold * bits
    for var in project.top_inputs:
        if var in consumers_start and consumers_start[var] > 0:
            # an input read after cycle 0 is held in registers until then
            first = next(c.name for c in project.calls if var in c.inputs)
            placements[first].ff_internal += consumers_start[var] * project.bits_of_var(var)
    end = max((ready[v] for v in project.top_outputs), default=(0, 0.0))
    latency = end[0] + (1 if end[1] > _EPS else 0)
    out_reg = sum(project.bits_of_var(v) for v in project.top_outputs)
    ff_total = out_reg + sum(p.ff_internal + p.ff_hold for p in placements.values())
    interval = max([c.interval for c in costs] + [1])
    return Schedule(
        usable_ns=round(usable, 4),
        style=style,
        latency_cycles=latency,
        interval=interval,
        busiest_cycle_ns=round(clock.busiest, 3),
        ff_total=int(ff_total),
        placements=placements,
        critical_layers=_critical_path(project, placements, ready, producer),
    )


def _critical_path(project: Project, placements, ready, producer) -> list[str]:
    """Walk back from the output through the latest-arriving input of each layer."""
    calls = {c.name: c for c in project.calls}
    out = max(project.top_outputs, key=lambda v: ready[v], default=None)
    path = []
    name = producer.get(out)
    while name is not None:
        path.append(name)
        ins = [v for v in calls[name].inputs if v in producer]
        if not ins:
            break
        name = producer[max(ins, key=lambda v: ready[v])]
    return path[::-1]
