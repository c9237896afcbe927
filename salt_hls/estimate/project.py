"""Read a converted hls4ml project the way the estimator needs it: the layer graph in call order,
every variable's ap type, every config struct and the constant arrays, all from the files that
the vendor tool would compile (firmware/<top>.cpp, defines.h, parameters.h, weights/*.txt),
plus salt_summary.json for the settings and the layer kinds. No TensorFlow is imported.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from salt_hls.errors import ConfigError, DataError
from salt_hls.fixed import FixedType


def parse_type(text: str) -> FixedType:
    """An ap type of the project's defines.h."""
    try:
        return FixedType.parse(text)
    except ConfigError as err:
        raise DataError(str(err)) from None


@dataclass
class Call:
    """One layer call of the top function: nnet::<function><types..., config>(inputs..., output, weights...)."""

    name: str  # the layer name (hls4ml's trailing comment)
    function: str
    input_types: list[str]
    output_type: str
    config: str
    inputs: list[str]
    output: str
    weights: list[str]


@dataclass(frozen=True)
class DaKernel:
    """A constant-matrix multiply that hls4ml's distributed_arithmetic strategy emitted (da4ml's
    shift-add graph, in nnet_utils/nnet_code_gen.h): its adders, their total width, its depth."""

    name: str
    n_adders: int
    adder_bits: int  # sum of the adders' output widths: one LUT per bit (LUT6 + carry chain)
    depth: int  # adder levels on the longest path (da4ml's latency annotation)
    out_width: int


# name, the rest of the signature line (hls4ml writes "// <input type> -> <output type>" there), body
_DA_FUNC = re.compile(r"^void\s+(dense_da_\d+)\s*\([^)]*\)\s*\{([^\n]*)\n(.*?)^\}", re.M | re.S)
_DA_ADD = re.compile(r"^\s*ap_u?fixed<(\d+),\s*-?\d+>\s+v\d+\s*=\s*(.+?);\s*//\s*([0-9.]+)", re.M)
_DA_OUT = re.compile(r"->\s*ap_u?fixed<(\d+),")


def read_da_kernels(code: str) -> dict[str, DaKernel]:
    kernels = {}
    for name, signature_comment, body in _DA_FUNC.findall(code):
        n, bits, depth = 0, 0, 0
        for width, rhs, level in _DA_ADD.findall(body):
            depth = max(depth, int(math.ceil(float(level))))
            if re.search(r"\S\s[+-]\s", rhs):  # an adder or subtractor (not a copy, shift or constant)
                n, bits = n + 1, bits + int(width)
        out = _DA_OUT.search(signature_comment)
        kernels[name] = DaKernel(name, n, bits, depth, int(out.group(1)) if out else 0)
    return kernels


@dataclass
class Project:
    path: Path
    summary: dict
    top: str
    pipeline_style: str  # "pipeline" or "dataflow": hls4ml's choice for the top function
    clock_ns: float
    clock_uncertainty: float  # fraction of the period
    reuse: int
    part: str
    backend: str
    products: str  # where the attention's data x data products go (salt_hls.settings.PRODUCT_IMPLS)
    types: dict[str, FixedType]  # typedef name -> type
    variables: dict[str, tuple[str, int]]  # variable -> (type name, element count)
    configs: dict[str, dict]  # struct name -> {field: int | type name}
    calls: list[Call]
    top_inputs: list[str]
    top_outputs: list[str]
    da_kernels: dict = field(default_factory=dict)  # dense_da_<k> -> DaKernel
    _weights: dict = field(default_factory=dict)

    def kind(self, call: Call) -> str | None:
        entry = (self.summary.get("precisions") or {}).get(call.name)
        return entry.get("kind") if entry else None

    def type_of_var(self, var: str) -> FixedType:
        return self.types[self.variables[var][0]]

    def size_of_var(self, var: str) -> int:
        return self.variables[var][1]

    def bits_of_var(self, var: str) -> int:
        return self.size_of_var(var) * self.type_of_var(var).width

    def config(self, call: Call) -> dict:
        try:
            return self.configs[call.config]
        except KeyError:
            raise DataError(f"{self.path}: parameters.h has no struct {call.config} (layer {call.name})") from None

    def weight(self, name: str, type_name: str | None = None) -> np.ndarray:
        """A constant array from firmware/weights/<name>.txt, snapped to its type's grid."""
        if name not in self._weights:
            f = self.path / "firmware" / "weights" / f"{name}.txt"
            try:
                text = f.read_text()
            except OSError as err:
                raise DataError(f"cannot read {f}: {err.strerror}; the project's weights are incomplete") from None
            values = np.array([float(v) for v in text.replace("\n", ",").split(",") if v.strip()], dtype=np.float64)
            if type_name is not None and type_name in self.types:
                t = self.types[type_name]
                values = np.round(values / t.lsb) * t.lsb
            self._weights[name] = values
        return self._weights[name]


_CALL = re.compile(r"nnet::(\w+)<([^;]*?)>\s*\(([^;]*?)\);\s*//\s*(\S+)")
_DECL = re.compile(r"^\s*(\w+)\s+(\w+)\[([0-9*+\s]+)\];", re.M)
_STRUCT = re.compile(r"^struct\s+(\w+)\s*(?::[^{]*)?\{(.*?)^\};", re.M | re.S)
_FIELD = re.compile(r"static const (?:unsigned|int|bool|long)\s+(\w+)\s*=\s*([^;]+);")
_TYPEDEF_IN_STRUCT = re.compile(r"typedef\s+([\w:<>, ]+?)\s+(\w+)\s*;")
_TYPEDEF = re.compile(r"^typedef\s+(ap_\w+<[^;]*>)\s+(\w+)\s*;", re.M)


def _int_expr(text: str) -> int | None:
    text = text.strip()
    if re.fullmatch(r"[0-9*+\-()/ ]+", text):
        try:
            return int(eval(text, {"__builtins__": {}}))  # digits and * + - / ( ) only
        except (SyntaxError, ZeroDivisionError):
            return None
    if text in ("true", "false"):
        return int(text == "true")
    return None


def _split_args(text: str) -> list[str]:
    out, depth, cur = [], 0, ""
    for ch in text:
        if ch == "<":
            depth += 1
        elif ch == ">":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


def read_project(path: str | Path) -> Project:
    """Parse a project written by salt_hls.hls.convert (hls4ml io_parallel); DataError when it is not one."""
    from salt_hls.settings import SUMMARY_FILE, project_settings, read_summary, require

    path = Path(path)
    if not path.exists():
        raise DataError(f"{path} does not exist; expected a project directory written by `salt-hls convert`")
    if not path.is_dir():
        raise DataError(f"{path} is a file; expected a project directory written by `salt-hls convert` (with {SUMMARY_FILE})")
    summary = read_summary(path)
    fw = path / "firmware"
    if not fw.is_dir():
        raise DataError(f"{path} is not a complete hls4ml project: missing {fw}")
    top = require(summary, "project_name", path)
    files = {n: fw / n for n in (f"{top}.cpp", "defines.h", "parameters.h")}
    missing = [str(f) for f in files.values() if not f.is_file()]
    if missing:
        raise DataError(f"{path} is not a complete hls4ml project: missing {', '.join(missing)}")
    cpp, defines, params = (files[n].read_text() for n in files)
    settings = project_settings(path, summary)
    io_type = require(summary, "io_type", path)
    if io_type != "io_parallel":
        raise DataError(f"{path}: io_type {io_type!r}; the estimator models io_parallel projects only")

    types = {name: parse_type(t) for t, name in _TYPEDEF.findall(defines)}
    configs: dict[str, dict] = {}
    for name, body in _STRUCT.findall(params):
        cfg: dict = {}
        for key, expr in _FIELD.findall(body):
            v = _int_expr(expr)
            if v is not None:
                cfg[key] = v
        for tname, alias in _TYPEDEF_IN_STRUCT.findall(body):
            cfg.setdefault(alias, tname.strip())
        m = re.search(r"dense_da\s*=\s*nnet::(dense_da_\d+)", body)
        if m:
            cfg["dense_da"] = m.group(1)
        if "pool_op" in body:
            m = re.search(r"pool_op\s*=\s*nnet::(\w+)", body)
            cfg["pool_op"] = m.group(1) if m else None
        configs[name] = cfg

    sig = re.search(rf"void\s+{re.escape(top)}\s*\((.*?)\)\s*\{{", cpp, re.S)
    if not sig:
        raise DataError(f"{files[f'{top}.cpp']}: the top function {top}() was not found")
    variables: dict[str, tuple[str, int]] = {}
    ports = []
    for arg in _split_args(sig.group(1)):
        m = re.match(r"(\w+)\s+(\w+)\[([0-9*+\s]+)\]", arg)
        if not m:
            raise DataError(f"{files[f'{top}.cpp']}: cannot read the top-level port {arg!r}")
        variables[m.group(2)] = (m.group(1), _int_expr(m.group(3)))
        ports.append(m.group(2))
    for tname, var, size in _DECL.findall(cpp):
        variables[var] = (tname, _int_expr(size))

    calls = []
    for func, targs, args, name in _CALL.findall(cpp):
        if func.startswith("load_weights"):
            continue
        targs, args = _split_args(targs), _split_args(args)
        if re.fullmatch(r"dense_da_\d+", func) and len(targs) == 2 and len(args) == 2:
            calls.append(Call(name, "dense_da", [targs[0]], targs[1], func, [args[0]], args[1], []))
            continue
        if func == "conv1d_cl" and len(targs) == 3 and targs[0] in configs:
            targs = [targs[1], targs[2], targs[0]]  # the distributed_arithmetic Conv1D puts its config first
        n_in = len(targs) - 2
        if n_in < 1 or len(args) < n_in + 1:
            raise DataError(f"{files[f'{top}.cpp']}: cannot read the call nnet::{func} of layer {name}")
        calls.append(Call(name, func, targs[:n_in], targs[n_in], targs[n_in + 1], args[:n_in], args[n_in], args[n_in + 1 :]))
    if not calls:
        raise DataError(f"{files[f'{top}.cpp']}: no layer calls found (is this an hls4ml project?)")
    produced = {c.output for c in calls}
    top_inputs = [p for p in ports if p not in produced]
    top_outputs = [p for p in ports if p in produced]
    for c in calls:
        for v in (*c.inputs, c.output):
            if v not in variables:
                raise DataError(f"{files[f'{top}.cpp']}: variable {v} of layer {c.name} is not declared")
            if variables[v][0] not in types:
                raise DataError(f"{fw / 'defines.h'}: type {variables[v][0]} of {v} is not defined")

    uncertainty = _clock_uncertainty(path / "hls4ml_config.yml", settings.clock_ns)
    code_gen = fw / "nnet_utils" / "nnet_code_gen.h"
    style = "dataflow" if re.search(r"#pragma HLS DATAFLOW", cpp) else "pipeline"
    return Project(
        path=path,
        summary=summary,
        top=top,
        pipeline_style=style,
        clock_ns=float(settings.clock_ns),
        clock_uncertainty=uncertainty,
        reuse=settings.reuse,
        part=settings.part,
        backend=settings.backend,
        products=settings.products,
        types=types,
        variables=variables,
        configs=configs,
        calls=calls,
        top_inputs=top_inputs,
        top_outputs=top_outputs,
        da_kernels=read_da_kernels(code_gen.read_text()) if code_gen.is_file() else {},
    )


def _clock_uncertainty(cfg_file: Path, clock_ns: float) -> float:
    """The clock uncertainty hls4ml wrote into the project (a fraction of the period): its backend's
    default (Vitis 27 %, Vivado 12.5 %) or the one asked for, as a percentage or in ns."""
    if not cfg_file.is_file():
        raise DataError(
            f"{cfg_file} is missing: the project is incomplete; re-convert it (salt-hls convert MODEL --out DIR --force)"
        )
    m = re.search(r"^ClockUncertainty:\s*'?([0-9.]+)\s*(%?)", cfg_file.read_text(), re.M)
    if not m:
        raise DataError(f"{cfg_file} has no ClockUncertainty; re-convert the project (salt-hls convert MODEL --out DIR --force)")
    return float(m.group(1)) / 100.0 if m.group(2) else float(m.group(1)) / float(clock_ns)


def log2_ceil(n: int) -> int:
    return 0 if n <= 1 else math.ceil(math.log2(n))
