"""The exit status of every `salt-hls` command: one table (README, "Exit status")."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0  # done: bit-exact, fits the budget, tool ran
    NOT_BIT_EXACT = 1  # the C simulation differs from the bit-exact reference (csim --bit-exact, flow)
    BAD_INPUT = 2  # a bad file, option or project (click's usage errors are 2 as well)
    OVER_BUDGET = 3  # the design does not fit the budget (check, flow)
    NO_VENDOR_TOOL = 4  # Vivado/Vitis HLS is not on PATH (synth)
    VENDOR_TOOL_FAILED = 5  # the vendor tool ran and failed (synth)
    TRIALS_FAILED = 6  # some scan trials failed or their tasks were lost; the others finished (scan)
