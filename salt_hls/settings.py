"""The settings of a conversion and of an estimate, as typed data (no TensorFlow).

Each default, choice and help text is written here once: the CLI builds its options from these
fields (salt_hls.cli.options), convert writes ConvertSettings into the project's salt_summary.json
and csim, flow, estimate and the benchmarks read them back with project_settings().
"""

from __future__ import annotations

import json
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path

from salt_hls.errors import ConfigError, DataError

SUMMARY_FILE = "salt_summary.json"  # written by salt_hls.hls.convert into every project
BACKENDS = ("Vitis", "Vivado")
DEFAULT_PART = "xcvu13p-flga2577-2-e"
DENSE_STRATEGIES = ("latency", "distributed_arithmetic")
TABLE_IMPLS = ("auto", "lut", "bram")
CAST_MODES = ("typed", "trn")
# Where the attention's data x data products go (hls_templates/salt_product.h): the HLS tool's choice, or bound
PRODUCT_IMPLS = ("auto", "dsp", "fabric")
# The estimator's two thresholds, defaults of EstimateOptions (salt_hls.estimate.cost applies them).
DSP_MIN_BITS = 10  # narrower operand (signed bits) below this: HLS builds the product in LUTs
DEFAULT_BRAM_MIN_BITS = 4096  # tables larger than this go to BRAM18 unless forced to LUT-ROM


def setting(default, help: str, *, choices: tuple | None = None, type: type | None = None, option: str | None = None):
    """A dataclass field with what the CLI needs to offer it: help text, choices, the value type
    (when the default is None) and the option name (default --field-name)."""
    meta = {"help": help, "choices": choices, "type": type, "option": option}
    return field(default=default, metadata=meta)


class _Settings:
    """to_dict()/from_dict() shared by the settings classes: every field, nothing else."""

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data, source: str = "settings"):
        """Refuses unknown keys and names a missing one: no field falls back to a default."""
        if not isinstance(data, dict):
            raise ConfigError(f"{source}: expected a mapping of {cls.__name__} fields, got {type(data).__name__}")
        names = [f.name for f in fields(cls)]
        unknown = sorted(set(data) - set(names))
        if unknown:
            raise ConfigError(f"{source}: unknown {cls.__name__} field(s) {', '.join(unknown)}; known: {', '.join(names)}")
        missing = [n for n in names if n not in data]
        if missing:
            raise ConfigError(f"{source}: {cls.__name__} field(s) {', '.join(missing)} missing")
        settings = cls(**data)
        settings.validate()
        return settings

    @classmethod
    def defaults(cls) -> dict:
        return {f.name: f.default for f in fields(cls) if f.default is not MISSING}

    def validate(self) -> None:  # pragma: no cover - every subclass defines its own
        raise NotImplementedError


HLS4ML_DA_HARD_DC = 2  # hls4ml 1.3's default (its environment variable DA_HARD_DC)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class ConvertSettings(_Settings):
    """How a model becomes an hls4ml project (io_parallel, Strategy Latency)."""

    backend: str = setting("Vitis", "hls4ml backend.", choices=BACKENDS)
    part: str = setting(DEFAULT_PART, "FPGA part.")
    clock_ns: float = setting(5.0, "Target clock period in ns.", type=float)
    reuse: int = setting(1, "ReuseFactor: multipliers shared R times, II = R.", type=int)
    # ParallelizationFactor of the per-particle layers: how many particles each one processes per
    # clock. None means all N, the L1T default (II = ReuseFactor); hls4ml's own default, 1, gives II = N.
    parallelization: int | None = setting(
        None,
        "Particles each per-particle layer handles per clock (ParallelizationFactor); default all N, II = ReuseFactor.",
        type=int,
    )
    # "latency": hls4ml's, one product per weight, HLS maps each; "distributed_arithmetic": hls4ml +
    # da4ml shift-add adder graphs, no DSPs.
    dense_strategy: str = setting(
        "latency",
        "Constant-weight Dense layers: hls4ml's Latency (a product per weight) or distributed arithmetic "
        "(da4ml adder graphs, no DSPs).",
        choices=DENSE_STRATEGIES,
    )
    # da4ml's hard depth constraint in hls4ml's distributed-arithmetic pass: adder levels allowed beyond
    # the minimal depth of each constant-matrix adder graph. hls4ml's default is 2; at the Level-1
    # trigger the latency binds first, and 0 costs about 1.4 % more LUTs for 2 cycles less at N = 32
    # (benchmarks/fit/hetero/reading.md).
    da_hard_dc: int = setting(
        0,
        "distributed_arithmetic: adder levels allowed beyond the minimal depth (da4ml's hard_dc; hls4ml's default is 2).",
        type=int,
    )

    # At II = 1 the LUTs bind first and the attention's DSPs are mostly free: binding the narrow products
    # (which the HLS tool would build in LUTs) to DSP48s trades LUTs for DSPs (benchmarks/fit/hetero/reading.md).
    products: str = setting(
        "auto",
        "Data x data products of the attention (Q.K~, A.V~, softmax normalization): auto (the HLS tool chooses: DSP48 "
        "from 10-bit operands), dsp or fabric (bound to DSP48s / LUTs by pragma).",
        choices=PRODUCT_IMPLS,
    )

    @classmethod
    def from_dict(cls, data, source: str = "settings"):
        if isinstance(data, dict):
            # recorded before these settings existed: what the converter did then
            data = {"da_hard_dc": HLS4ML_DA_HARD_DC, "products": "auto", **data}
        return super().from_dict(data, source)

    def validate(self) -> None:
        from salt_hls.devices import lookup_part

        if self.backend not in BACKENDS:
            raise ConfigError(f"unknown backend {self.backend!r}; choose {' or '.join(BACKENDS)}")
        if not isinstance(self.part, str):
            raise ConfigError(f"part must be a part name such as {DEFAULT_PART}, got {self.part!r}")
        lookup_part(self.part)
        if isinstance(self.clock_ns, bool) or not (
            isinstance(self.clock_ns, (int, float)) and 0.5 <= float(self.clock_ns) <= 100.0
        ):
            raise ConfigError(
                f"clock period {self.clock_ns!r} ns is out of range; give a period in ns between 0.5 and 100 (e.g. 5 for 200 MHz)"
            )
        if not _is_int(self.reuse) or self.reuse < 1:
            raise ConfigError(f"reuse factor must be an integer >= 1, got {self.reuse!r}")
        if self.dense_strategy not in DENSE_STRATEGIES:
            raise ConfigError(f"unknown dense strategy {self.dense_strategy!r}; choose {' or '.join(DENSE_STRATEGIES)}")
        if self.dense_strategy == "distributed_arithmetic" and self.reuse != 1:
            raise ConfigError("the distributed_arithmetic dense strategy needs reuse factor 1 (hls4ml builds it fully parallel)")
        if not _is_int(self.da_hard_dc) or self.da_hard_dc < 0:
            raise ConfigError(
                f"da_hard_dc must be an integer >= 0 (adder levels beyond the minimal depth), got {self.da_hard_dc!r}"
            )
        if self.products not in PRODUCT_IMPLS:
            raise ConfigError(f"unknown product implementation {self.products!r}; choose {', '.join(PRODUCT_IMPLS)}")
        if self.parallelization is not None and (not _is_int(self.parallelization) or self.parallelization < 1):
            raise ConfigError(
                f"parallelization factor must be an integer >= 1 (particles per clock), got {self.parallelization!r}"
            )

    def parallelization_for(self, n_particles: int) -> int:
        pf = n_particles if self.parallelization is None else self.parallelization
        if n_particles % pf:
            divisors = [d for d in range(1, n_particles + 1) if n_particles % d == 0]
            raise ConfigError(f"parallelization factor {pf} does not divide N = {n_particles}; choose one of {divisors}")
        return pf


@dataclass(frozen=True)
class EstimateOptions(_Settings):
    """What-if settings of the estimate. The defaults cost exactly what the project was converted with."""

    reuse: int | None = setting(None, "What-if: cost with this ReuseFactor instead of the project's.", type=int)
    # lut is what the firmware builds: it partitions every table completely (salt_hls.hls.structure),
    # so each look-up is a multiplexer of constants; auto and bram ask what block RAM would change.
    table_impl: str = setting(
        "lut",
        "Table implementation: LUT-ROM per look-up (lut, what the firmware builds), or what-if BRAM18 above "
        "--bram-min-bits (auto) or always (bram).",
        choices=TABLE_IMPLS,
        option="--tables",
    )
    bram_min_bits: int = setting(DEFAULT_BRAM_MIN_BITS, "auto: tables larger than this many bits go to BRAM18.", type=int)
    dsp_min_bits: int = setting(
        DSP_MIN_BITS,
        "Projects converted with --products auto: data x data products with an operand narrower than this (signed "
        "bits) go to LUTs (1: all on DSPs).",
        type=int,
    )
    full_parallel: bool = setting(False, "What-if: pointwise layers with ParallelizationFactor = N (II = ReuseFactor).")
    table_entries: int | None = setting(None, "What-if: cost every table with this many entries.", type=int)
    cast_mode: str = setting(
        "typed", "What-if trn: quantizers truncate instead of rounding (saturation kept).", choices=CAST_MODES
    )
    dsp_packing: bool = setting(False, "What-if: two products sharing an operand per DSP48E2 (each <= 18 bits).")

    def validate(self) -> None:
        if self.reuse is not None and (not _is_int(self.reuse) or self.reuse < 1):
            raise ConfigError(f"reuse factor must be an integer >= 1, got {self.reuse!r}")
        if self.table_impl not in TABLE_IMPLS:
            raise ConfigError(f"table implementation must be {', '.join(TABLE_IMPLS)}, got {self.table_impl!r}")
        if self.table_entries is not None and (
            not _is_int(self.table_entries) or self.table_entries < 2 or self.table_entries & (self.table_entries - 1)
        ):
            raise ConfigError(f"table entries must be a power of two >= 2, got {self.table_entries!r}")
        if self.cast_mode not in CAST_MODES:
            raise ConfigError(f"cast mode must be {' or '.join(CAST_MODES)}, got {self.cast_mode!r}")
        if not _is_int(self.bram_min_bits) or not _is_int(self.dsp_min_bits) or self.bram_min_bits < 0 or self.dsp_min_bits < 1:
            raise ConfigError(
                f"bram_min_bits must be an integer >= 0 and dsp_min_bits >= 1, got {self.bram_min_bits!r} "
                f"and {self.dsp_min_bits!r}"
            )
        for name in ("full_parallel", "dsp_packing"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(f"{name} must be true or false, got {getattr(self, name)!r}")


def read_summary(project: str | Path) -> dict:
    """The salt_summary.json of a project written by salt_hls.hls.convert (DataError when absent)."""
    path = Path(project) / SUMMARY_FILE
    if not path.is_file():
        raise DataError(
            f"{project} is not a salt-hls project: {SUMMARY_FILE} is missing (write one with `salt-hls convert MODEL --out DIR`)"
        )
    try:
        summary = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise DataError(f"{path}: not valid JSON ({err})") from None
    if not isinstance(summary, dict):
        raise DataError(f"{path}: expected a JSON object")
    return summary


def require(summary: dict, key: str, project: str | Path):
    """summary[key], or an error naming the field and the fix (no silent default)."""
    if key not in summary:
        raise DataError(
            f"{Path(project) / SUMMARY_FILE} has no {key!r}: the project was written by an older salt-hls; "
            "re-convert it with this version (salt-hls convert MODEL --out DIR --force)"
        )
    return summary[key]


def project_settings(project: str | Path, summary: dict | None = None) -> ConvertSettings:
    """The ConvertSettings a project was converted with, read back from its salt_summary.json."""
    summary = read_summary(project) if summary is None else summary
    data = require(summary, "settings", project)
    try:
        return ConvertSettings.from_dict(data, source=f"{Path(project) / SUMMARY_FILE} settings")
    except ConfigError as err:
        raise DataError(f"{err}; re-convert the project with this version (salt-hls convert MODEL --out DIR --force)") from None
