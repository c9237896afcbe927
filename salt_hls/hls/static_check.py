"""Static checks of a generated project's firmware, without a vendor tool: what Vivado HLS / Vitis HLS
would be asked to build, read from the files they would compile (firmware/<top>.cpp, parameters.h,
nnet_utils/salt_*.h, nnet_code_gen.h) and compared with the project's salt_summary.json.

- the top function's pragma: PIPELINE II = the requested interval (R x N / P), or DATAFLOW when P < N;
- every layer's II (from its config struct) equal to the II salt_summary.json records, and no
  larger than the requested one; the per-particle and SAL-T layers exactly the requested one;
- pragma placement in every SAL-T function and its per-group function: INLINE off, PIPELINE
  II=CONFIG_T::reuse_factor, an ALLOCATION only where INLINE off keeps it from reaching the caller,
  every table argument partitioned completely (each look-up its own ROM copy);
- unrolled operations (products + table look-ups, salt_hls.hls.structure.unrolled_ops) of every
  function instance, counting what hls4ml inlines into the top in the top, against UNROLL_LIMIT;
- the per-particle Dense layers (salt_pointwise.h) checked as the SAL-T functions are: pragmas of the layer
  and its group function, II, unrolled size of one group.

The findings name the layer and the rule; an empty list is a pass. Nothing here replaces a vendor
run: the checks cover what the source asks for, not what the scheduler achieves.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from salt_hls.errors import DataError
from salt_hls.hls.structure import (
    POINTWISE_FUNCTIONS,
    SALT_FUNCTIONS,
    UNROLL_LIMIT,
    requested_ii,
    table_lookups,
    unrolled_ops,
)

# hls4ml 1.3.0 functions whose body carries a plain `#pragma HLS INLINE`, so that their operations land in
# the caller: the generated adder graphs (nnet_code_gen.h) that the top calls directly (the Dense layers
# after pooling; the per-particle ones are called inside salt_pointwise.h's INLINE off group functions).
_INLINED_INTO_TOP = re.compile(r"dense_da(_\d+)?")
_PRAGMA = re.compile(r"#pragma\s+HLS\s+(.*)", re.I)


@dataclass
class StaticReport:
    project: Path
    requested_ii: int
    top: dict  # {"style": "pipeline" | "dataflow", "ii": int | None, "ops": inlined operations}
    functions: list[dict] = field(default_factory=list)  # one row per layer call
    tables: list[dict] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def to_dict(self) -> dict:
        return {
            "project": str(self.project),
            "requested_ii": self.requested_ii,
            "top": self.top,
            "functions": self.functions,
            "tables": self.tables,
            "findings": self.findings,
            "ok": self.ok,
        }


def function_body(code: str, name: str) -> str | None:
    """The body (between its braces) of the definition of function `name` in `code`, or None."""
    for m in re.finditer(rf"\bvoid\s+{re.escape(name)}\s*\(", code):
        i = code.find("{", m.end())
        semi = code.find(";", m.end())
        if i < 0 or 0 <= semi < i:
            continue  # a declaration, or a call
        depth = 0
        for j in range(i, len(code)):
            depth += {"{": 1, "}": -1}.get(code[j], 0)
            if depth == 0:
                return code[i + 1 : j]
    return None


def function_pragmas(body: str) -> list[str]:
    """The HLS pragmas at the function's own level (not inside its loops), normalized to single spaces
    and no space around `=` (the tools read `II = 2` as `II=2`; hls4ml's own headers write both)."""
    out, depth = [], 0
    for line in body.splitlines():
        m = _PRAGMA.search(line)
        if m and depth == 0:
            out.append(re.sub(r"\s*=\s*", "=", " ".join(m.group(1).split())))
        depth += line.count("{") - line.count("}")
    return out


def _top_pragma(cpp: str) -> tuple[str, int | None]:
    m = re.search(r"#pragma\s+HLS\s+(PIPELINE|DATAFLOW)\b([^\n]*)", cpp)
    if not m:
        return "none", None
    if m.group(1) == "DATAFLOW":
        return "dataflow", None
    ii = re.search(r"II\s*=\s*(\d+)", m.group(2))
    return "pipeline", int(ii.group(1)) if ii else None


def _salt_source(fw: Path) -> str:
    files = sorted((fw / "nnet_utils").glob("salt_*.h"))
    if not files:
        raise DataError(f"{fw / 'nnet_utils'} has no salt_*.h headers: not a salt-hls project")
    return "\n".join(f.read_text() for f in files)


def _check_salt_function(name: str, function: str, source: str, tables: dict, findings: list[str]) -> None:
    bodies = {f: function_body(source, f) for f in (function, f"{function}_group")}
    if bodies[function] is None:
        findings.append(f"{name}: nnet::{function} is not defined in the project's salt_*.h headers")
        return
    for f, body in bodies.items():
        if body is None:
            continue
        pragmas = function_pragmas(body)
        if "INLINE off" not in pragmas:
            findings.append(
                f"{name}: {f} lacks `#pragma HLS INLINE off` (inlined, its pipeline and ALLOCATION would merge into the caller)"
            )
        if any(p == "INLINE" or (p.startswith("INLINE ") and p != "INLINE off") for p in pragmas):
            findings.append(f"{name}: {f} is inlined into its caller")
        if "PIPELINE II=CONFIG_T::reuse_factor" not in pragmas:
            findings.append(f"{name}: {f} has no `#pragma HLS PIPELINE II=CONFIG_T::reuse_factor` of its own")
        if any(p.startswith("ALLOCATION") for p in pragmas) and "INLINE off" not in pragmas:
            findings.append(f"{name}: {f} has an ALLOCATION that reaches its caller")
    reader = bodies[f"{function}_group"] or bodies[function]
    for arg in tables:
        if f"ARRAY_PARTITION variable={arg} complete" not in function_pragmas(reader):
            findings.append(
                f"{name}: table {arg} is read {tables[arg]} times per call without "
                f"`#pragma HLS ARRAY_PARTITION variable={arg} complete` (memory ports limit the II)"
            )


def check_project(path: str | Path, limit: int = UNROLL_LIMIT) -> StaticReport:
    """Static checks of a project written by `salt-hls convert` (DataError when it is not one)."""
    from salt_hls.estimate.project import read_project
    from salt_hls.settings import project_settings, require

    project = read_project(path)
    path = project.path
    summary = project.summary
    settings = project_settings(path, summary)
    structure = require(summary, "structure", path)
    n_particles = require(summary, "firmware_input", path)["shape"][0]
    want = requested_ii(settings.reuse, n_particles, settings.parallelization)
    fw = path / "firmware"
    cpp = (fw / f"{project.top}.cpp").read_text()
    source = _salt_source(fw)
    findings: list[str] = []

    style, top_ii = _top_pragma(cpp)
    if structure.get("requested_ii") != want:
        findings.append(f"salt_summary.json records requested II {structure.get('requested_ii')}, the settings give {want}")
    if style == "pipeline" and (top_ii or 1) != want:
        findings.append(f"top {project.top}: PIPELINE II={top_ii if top_ii is not None else '(none)'}, requested II {want}")
    if style == "none":
        findings.append(f"top {project.top}: neither PIPELINE nor DATAFLOW")

    recorded = structure.get("layers", {})
    rows, tables, top_ops = [], [], 0
    for call in project.calls:
        cfg = project.config(call) if call.config in project.configs else {}
        # a distributed-arithmetic Dense reads as function "dense_da" whose "config" is the generated dense_da_<k>
        ops = unrolled_ops(call.config if call.function == "dense_da" else call.function, cfg, project.da_kernels)
        if call.function in SALT_FUNCTIONS:
            ii = cfg.get("reuse_factor")
            lookups = table_lookups(call.function, cfg)
            _check_salt_function(call.name, call.function, source, lookups, findings)
            for arg, count in lookups.items():
                entries = cfg[{"exp_table": "exp_size", "inv_table": "inv_size"}.get(arg, "table_size")]
                weight = call.weights[list(_table_args(call.function)).index(arg)]
                bits = project.types[f"{weight}_t"].width if f"{weight}_t" in project.types else None
                tables.append(
                    {
                        "layer": call.name,
                        "table": arg,
                        "entries": entries,
                        "bits": bits,
                        "lookups": count,
                        "copies": math.ceil(count / max(ii or 1, 1)),
                        "impl": "lut-rom (complete partition)",
                    }
                )
                if entries > limit:
                    findings.append(
                        f"{call.name}: table {arg} of {entries} entries cannot be partitioned completely (limit {limit})"
                    )
        elif call.function in POINTWISE_FUNCTIONS:
            ii = cfg.get("reuse_factor")
            _check_salt_function(call.name, call.function, source, {}, findings)
        else:
            ii = cfg.get("reuse_factor", 1) if call.config in project.configs else None
        inlined = bool(_INLINED_INTO_TOP.fullmatch(call.function))
        if inlined and ops:
            top_ops += ops
        row = {
            "layer": call.name,
            "function": call.function,
            "ii": ii,
            "ops": ops,
            "inlined_into_top": inlined,
            "groups": cfg.get("n_groups", 1),
        }
        rows.append(row)
        rec = recorded.get(call.name)
        if rec is None:
            findings.append(f"{call.name}: no II recorded in salt_summary.json")
        elif ii is not None and rec.get("ii") != ii:
            findings.append(f"{call.name}: salt_summary.json records II {rec.get('ii')}, the firmware asks for {ii}")
        elif rec is not None and rec.get("groups", 1) != row["groups"]:
            findings.append(
                f"{call.name}: salt_summary.json records {rec.get('groups')} groups, the firmware has {row['groups']}"
            )
        if ii is not None and ii > want:
            findings.append(f"{call.name}: II {ii} exceeds the requested II {want}")
        elif call.function in (*SALT_FUNCTIONS, *POINTWISE_FUNCTIONS) and ii != want:
            findings.append(f"{call.name}: II {ii}, the requested II is {want} (every per-particle layer runs at it)")
        if ops is not None and not inlined and ops > limit:
            findings.append(
                f"{call.name}: nnet::{call.function} unrolls {ops} operations in one function instance (limit {limit})"
            )
    if top_ops > limit:
        findings.append(
            f"top {project.top}: {top_ops} operations of inlined layers (nnet::dense_da_*) "
            f"unrolled in the top function (limit {limit})"
        )
    return StaticReport(path, want, {"style": style, "ii": top_ii, "ops": top_ops}, rows, tables, findings)


def _table_args(function: str) -> tuple[str, ...]:
    """The weight arguments of a SAL-T function, in the order its call passes them: its hls4ml layer's WEIGHTS."""
    from salt_hls.operations import load, salt_operations

    return next((load(v.layer).WEIGHTS for op in salt_operations() for v in op.hls_layers() if v.function == function), ())
