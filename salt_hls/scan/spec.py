"""The scan file: read and validated in full (keys, types, files, budgets) without importing TensorFlow
or Dask, then expanded into trials, each named by the hash of its settings and inputs.

A scan file (YAML; relative paths are relative to the file):

    name: fit-n32
    jets: ../../../shared/data/jets_pythia8_train.h5
    jets_identity: content          # content (SHA-256 of the file) | stat (size + mtime)
    budgets: {l1t-default: ../../synth_reports/budgets/l1t-default.yaml}
    fixed: {model.n_particles: 32, train.epochs: 5, train.max_jets: 20000}
    axes: {train.epochs: [4, 8], quant: [default, a8w4], size: {small: {model.d_model: 8, model.n_heads: 2}, default: {}}}
    quant_presets: {a8w4: {qkv.weight: "4,1"}}
    sampler: {kind: grid}           # grid | random (n_trials, seed; axes may then be {low, high, log})
    steps: {bit_exact_jets: 200}
    cluster: {kind: local, workers: 2}

Settings are `namespace.name`: model.* (ModelSpec), train.* (TrainSettings), convert.* (ConvertSettings),
estimate.* (EstimateOptions), quant.SITE (one quantization format), or `quant` (a preset's name). An axis
without a '.' in its name is a bundle: each of its values names settings that change together.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import math
import os
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np
import yaml

from salt_hls import __version__
from salt_hls.errors import ConfigError, DataError

SCAN_KEYS = ("name", "jets", "jets_identity", "budgets", "fixed", "axes", "quant_presets", "sampler", "steps", "cluster")

# The settings a trial may set, with their types. The model and training names are the fields of ModelSpec
# and TrainSettings; they are listed here because importing those classes loads TensorFlow, and
# tests/test_scan.py checks that the lists still match the classes. Left out on purpose: the model's
# n_features / n_classes (fixed by the jets), `quantized` (a float model cannot be converted) and the
# logit-convolution heights. The conversion and estimate settings come from salt_hls.settings.
MODEL_KEYS = {
    "architecture": str,
    "n_particles": int,
    "n_partitions": int,
    "d_model": int,
    "n_heads": int,
    "ffn_dim": int,
    "classifier_dim": int,
    "deepsets_width": int,
    "softmax_table_size": int,
    "softmax_table_bits": int,
    "tanh_table_size": int,
    "fold_projections": bool,
}
TRAIN_KEYS = {
    "epochs": int,
    "patience": int,
    "batch_size": int,
    "learning_rate": float,
    "min_learning_rate": float,
    "seed": int,
    "sort": str,
    "split_seed": int,
    "max_jets": int,
}
STEP_KEYS = {"bit_exact_jets": int, "keep_project": bool, "open_synthesis": bool, "vendor_synthesis": bool}
DEFAULT_STEPS = {"bit_exact_jets": 200, "keep_project": False, "open_synthesis": False, "vendor_synthesis": False}
SAMPLERS = ("grid", "random")
JETS_IDENTITY = ("content", "stat")

# dask-jobqueue keyword arguments offered in the cluster section, per kind (all besides kind and workers).
_BATCH_KEYS = (
    "minimum_workers",
    "cores",
    "memory",
    "python",
    "job_extra_directives",
    "job_script_prologue",
    "log_directory",
    "local_directory",
    "interface",
    "death_timeout",
    "worker_extra_args",
)
CLUSTER_KEYS = {
    "local": ("kind", "workers", "memory"),
    "htcondor": ("kind", "workers", "disk", *_BATCH_KEYS),
    "slurm": ("kind", "workers", "walltime", "queue", "account", *_BATCH_KEYS),
}


def _typed_fields(cls) -> dict:
    """name -> value type of a salt_hls.settings class (the declared type where the default is None)."""
    return {f.name: f.metadata.get("type") or type(f.default) for f in fields(cls)}


def setting_types() -> dict[str, dict]:
    from salt_hls.settings import ConvertSettings, EstimateOptions  # no TensorFlow behind this import

    return {
        "model": MODEL_KEYS,
        "train": TRAIN_KEYS,
        "convert": _typed_fields(ConvertSettings),
        "estimate": _typed_fields(EstimateOptions),
    }


@dataclass(frozen=True)
class Trial:
    key: str  # the trial's identity: hash of settings, inputs and package version
    settings: dict  # namespace -> {name: value}; "quant" -> {site: format}
    axes: dict  # the axis values that picked this trial, as written in the scan file

    def payload(self, spec: ScanSpec) -> dict:
        """What a worker needs to run the trial (plain data, so it pickles anywhere)."""
        return {
            "key": self.key,
            "settings": self.settings,
            "axes": self.axes,
            "jets": str(spec.jets),
            "steps": spec.steps,
            "salt_hls_version": __version__,
        }


@dataclass
class ScanSpec:
    path: Path
    name: str
    jets: Path
    jets_identity: dict
    budgets: dict  # name -> {"path": str, "data": the budget file's mapping}
    axes: dict
    sampler: dict
    steps: dict
    cluster: dict
    trials: list = field(default_factory=list)
    warnings: list = field(default_factory=list)

    def to_dict(self) -> dict:
        """Everything `salt-hls scan --report` needs, self-contained (stored as DIR/scan.json)."""
        # input paths as the scan file writes them, relative to it, so that they read the same in every checkout
        here = self.path.parent
        budgets = {k: {**b, "path": os.path.relpath(b["path"], here)} for k, b in self.budgets.items()}
        return {
            "scan_file": _portable(self.path),
            "name": self.name,
            "jets": os.path.relpath(self.jets, here),
            "jets_identity": self.jets_identity,
            "budgets": budgets,
            "axes": list(self.axes),
            "sampler": self.sampler,
            "steps": self.steps,
            "trials": [{"key": t.key, "settings": t.settings, "axes": t.axes} for t in self.trials],
            "warnings": self.warnings,
            "salt_hls_version": __version__,
        }


def _portable(path) -> str:
    """A path as recorded in scan.json: relative to the working directory when under it, so that a committed
    scan directory names its inputs the same way in every checkout."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _fail(path, msg: str):
    raise ConfigError(f"{path}: {msg}")


def _mapping(path, where: str, value) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        _fail(path, f"'{where}' must be a mapping, got {type(value).__name__}")
    return value


def _unknown(path, where: str, given, allowed) -> None:
    extra = sorted(set(given) - set(allowed))
    if extra:
        _fail(path, f"unknown key(s) {', '.join(map(repr, extra))} in {where}; allowed: {', '.join(allowed)}")


def _typed(path, where: str, value, kind):
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if (kind is int and isinstance(value, bool)) or not isinstance(value, kind):
        _fail(path, f"{where} must be {kind.__name__}, got {value!r}")
    return value


def _check_setting(path, types: dict, name: str, value, where: str):
    """(namespace, field, typed value) of one `namespace.field` setting."""
    if name == "quant":
        if not isinstance(value, str):
            _fail(path, f"{where}: 'quant' takes the name of a quant_presets entry, got {value!r}")
        return "quant_preset", None, value
    namespace, _, key = name.partition(".")
    if namespace == "quant":
        if not key or not isinstance(value, str):
            _fail(path, f"{where}: {name!r} needs a site name and a format string such as '8,1' or 'u10,1'")
        return "quant", key, value
    if namespace not in types or not key:
        _fail(path, f"{where}: unknown setting {name!r}; write model.*, train.*, convert.*, estimate.*, quant.SITE or quant")
    if key not in types[namespace]:
        _fail(path, f"{where}: unknown setting {name!r}; {namespace}.* takes {', '.join(types[namespace])}")
    if value is None and (namespace, key) in (
        ("convert", "parallelization"),
        ("estimate", "reuse"),
        ("estimate", "table_entries"),
    ):
        return namespace, key, None
    return namespace, key, _typed(path, f"{where}: {name}", value, types[namespace][key])


def _axis_values(path, name: str, values, sampler: str) -> list | dict:
    if isinstance(values, list):
        if not values:
            _fail(path, f"axis {name!r} has no values")
        return values
    if sampler == "random" and isinstance(values, dict):
        _unknown(path, f"axis {name!r}", values, ("low", "high", "log"))
        low, high = values.get("low"), values.get("high")
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (low, high)) or low > high:
            _fail(path, f"axis {name!r}: a range needs numbers low <= high, got {values}")
        if values.get("log") and low <= 0:
            _fail(path, f"axis {name!r}: a log range needs low > 0")
        return values
    _fail(
        path,
        f"axis {name!r} must be a list of values"
        + (" or a range {low, high, log}" if sampler == "random" else " (ranges need sampler kind: random)"),
    )


def _draw(rng, values):
    if isinstance(values, list):
        return values[int(rng.integers(len(values)))]
    low, high = values["low"], values["high"]
    x = math.exp(rng.uniform(math.log(low), math.log(high))) if values.get("log") else rng.uniform(low, high)
    if isinstance(low, int) and isinstance(high, int):
        return round(x)
    return float(f"{x:.4g}")  # a readable value: it names the trial in the table


def jets_identity(jets: Path, how: str) -> dict:
    if how == "content":
        from salt_hls.data.jets import file_sha256

        return {"sha256": file_sha256(jets)}  # the content alone: a copy or a renamed file is the same input
    st = jets.stat()
    return {"file": jets.name, "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def trial_key(settings: dict, identity: dict, steps: dict) -> str:
    """The trial's identity: its settings, the jets it reads, what the steps measure, the package version."""
    measured = {k: steps[k] for k in ("bit_exact_jets",)}
    blob = json.dumps({"settings": settings, "jets": identity, "steps": measured, "salt_hls": __version__}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _check_jets(path, jets: Path) -> None:
    if not jets.is_file():
        _fail(path, f"jets file {jets} does not exist")
    from salt_hls.data.jets import load_jets

    try:
        load_jets(jets, max_jets=10)
    except DataError as err:
        _fail(path, f"jets file {jets} cannot be read: {err}")


def _budgets(path, base: Path, value) -> dict:
    from salt_hls.budget.check import load_budget

    if isinstance(value, str):
        value = [value]
    # (name, path); unnamed budgets are called by the name inside their file
    entries = [(None, v) for v in value] if isinstance(value, list) else list(value.items()) if isinstance(value, dict) else []
    if not entries:
        _fail(path, "'budgets' must name at least one budget file (a path, a list of paths or a mapping name -> path)")
    out = {}
    for name, rel in entries:
        if not isinstance(rel, str):
            _fail(path, f"budget {name!r}: expected a file path, got {rel!r}")
        bpath = Path(os.path.abspath(base / rel))
        if not bpath.is_file():
            _fail(path, f"budget file {bpath} does not exist")
        budget = load_budget(bpath)  # ConfigError names the file and the problem
        label = budget.name if name is None else str(name)
        if label in out:
            _fail(path, f"two budgets are named {label!r}; name them in a mapping")
        out[label] = {"path": str(bpath), "data": yaml.safe_load(bpath.read_text())}
    return out


def parse_cluster(path, value, kind_override: str | None = None, workers_override: int | None = None) -> dict:
    cluster = dict(_mapping(path, "cluster", value))
    kind = kind_override or cluster.get("kind", "local")
    if kind not in CLUSTER_KEYS:
        _fail(path, f"cluster kind {kind!r} is unknown; choose {', '.join(CLUSTER_KEYS)}")
    if kind_override and cluster.get("kind", "local") != kind_override:
        # the command line picks another kind: the file's settings for its own kind do not carry over
        cluster = {k: v for k, v in cluster.items() if k in ("workers", "memory")}
    cluster["kind"] = kind
    _unknown(path, f"cluster (kind {kind})", cluster, CLUSTER_KEYS[kind])
    if workers_override is not None:
        cluster["workers"] = workers_override
    for k in ("workers", "minimum_workers", "cores"):
        if k in cluster and (
            not isinstance(cluster[k], int) or isinstance(cluster[k], bool) or cluster[k] < (0 if k == "minimum_workers" else 1)
        ):
            _fail(path, f"cluster {k} must be a positive integer, got {cluster[k]!r}")
    if kind != "local":
        need = ["memory"] + (["disk"] if kind == "htcondor" else [])
        missing = [k for k in need if k not in cluster]
        if missing:
            _fail(
                path,
                f"a {kind} cluster needs {' and '.join(missing)} per worker in the cluster section (e.g. memory: 4GiB"
                + (", disk: 8GiB" if kind == "htcondor" else "")
                + ")",
            )
        if "workers" not in cluster:
            _fail(path, f"a {kind} cluster needs 'workers', the most batch jobs to run at once (adaptive scaling)")
        for k in ("job_extra_directives", "job_script_prologue", "worker_extra_args"):
            if k == "job_extra_directives" and kind == "htcondor":  # submit-file lines: HTCondor's keys and values
                if k in cluster and not (
                    isinstance(cluster[k], dict) and all(isinstance(v, (str, int)) for v in cluster[k].values())
                ):
                    _fail(
                        path,
                        f"cluster {k} of an htcondor cluster must map submit-file keys to values, e.g. {{+JobFlavour: '\"workday\"'}}",
                    )
            elif k in cluster and not (isinstance(cluster[k], list) and all(isinstance(x, str) for x in cluster[k])):
                _fail(path, f"cluster {k} must be a list of strings")
    return cluster


def synthesis_availability(steps: dict, backends) -> list[str]:
    """Why each declared synthesis step cannot run here (one line each), or [] when none is declared."""
    from salt_hls.vendor.tools import find_tool, missing_tool_message

    notes = []
    if steps["vendor_synthesis"]:
        for backend in sorted(backends):
            if find_tool(backend) is None:
                notes.append(f"vendor synthesis is NOT available: {missing_tool_message(backend)}")
            else:
                notes.append(
                    f"vendor synthesis ({backend}) is not run by the scan: run `salt-hls synth` on a trial's project "
                    "(steps: keep_project: true keeps it)"
                )
    if steps["open_synthesis"]:
        # Yosys on a whole SAL-T takes tens of minutes to hours per trial (benchmarks/rtl): the scan
        # points at the command instead of running it for every trial.
        notes.append(
            "open synthesis is not run by the scan: run `salt-hls rtl` on a trial's project "
            "(steps: keep_project: true keeps it); the step is recorded as not run"
        )
    return notes


def load_scan(path, cluster_kind: str | None = None, workers: int | None = None) -> ScanSpec:
    """Read and validate a scan file and expand its trials. Raises ConfigError naming the problem."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text())
    except OSError as err:
        raise ConfigError(f"cannot read scan file {path}: {err.strerror}") from None
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML ({err})") from None
    raw = _mapping(path, "the scan file", raw)
    _unknown(path, "the scan file", raw, SCAN_KEYS)
    base = path.resolve().parent
    for k in ("jets", "budgets"):
        if k not in raw:
            _fail(path, f"missing '{k}'")
    name = str(raw.get("name") or path.stem)
    if not isinstance(raw["jets"], str):
        _fail(path, f"'jets' must be a file path, got {raw['jets']!r}")
    jets = Path(os.path.abspath(base / raw["jets"]))  # abspath, not resolve(): a linked data directory keeps its name
    _check_jets(path, jets)
    how = raw.get("jets_identity", "content")
    if how not in JETS_IDENTITY:
        _fail(path, f"jets_identity must be {' or '.join(JETS_IDENTITY)}, got {how!r}")
    budgets = _budgets(path, base, raw["budgets"])

    sampler = dict(_mapping(path, "sampler", raw.get("sampler")))
    kind = sampler.setdefault("kind", "grid")
    if kind not in SAMPLERS:
        _fail(path, f"sampler kind {kind!r} is unknown; choose grid or random (Optuna is not used: see the README)")
    _unknown(path, f"sampler (kind {kind})", sampler, ("kind",) if kind == "grid" else ("kind", "n_trials", "seed"))
    if kind == "random":
        sampler.setdefault("seed", 0)
        if not isinstance(sampler.get("n_trials"), int) or sampler["n_trials"] < 1:
            _fail(path, "sampler kind random needs n_trials, a positive integer")

    steps = dict(_mapping(path, "steps", raw.get("steps")))
    _unknown(path, "steps", steps, STEP_KEYS)
    steps = {k: _typed(path, f"steps: {k}", steps.get(k, d), STEP_KEYS[k]) for k, d in DEFAULT_STEPS.items()}
    if steps["bit_exact_jets"] < 0:
        _fail(path, "steps: bit_exact_jets must be >= 0 (0 skips the C simulation)")

    presets = _mapping(path, "quant_presets", raw.get("quant_presets"))
    for pname, sites in presets.items():
        if not isinstance(sites, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in sites.items()):
            _fail(path, f"quant_presets {pname!r} must map site names to format strings such as '8,1'")
    presets = {"default": {}, **presets}

    types = setting_types()
    base_settings: dict = {"model": {}, "train": {}, "convert": {}, "estimate": {}, "quant": {}}
    preset = None
    for k, v in _mapping(path, "fixed", raw.get("fixed")).items():
        ns, key, value = _check_setting(path, types, k, v, "fixed")
        if ns == "quant_preset":
            preset = value
        else:
            base_settings[ns][key] = value
    axes, bundles = {}, {}
    fixed = _mapping(path, "fixed", raw.get("fixed"))
    set_by = {k: "fixed" for k in fixed}  # setting -> where it is set, to refuse a setting set twice
    for k, v in _mapping(path, "axes", raw.get("axes")).items():
        if "." not in k and k != "quant":
            # a bundle axis: each value is a named set of settings that vary together (e.g. d_model with n_heads);
            # an empty set leaves the fixed settings and the defaults
            if not isinstance(v, dict) or not v or not all(isinstance(b, dict) for b in v.values()):
                _fail(
                    path,
                    f"axis {k!r} has no '.', so it is a bundle axis: map each value's name to the settings it sets, "
                    "e.g. {small: {model.d_model: 8, model.n_heads: 2}}; a single setting is written namespace.name",
                )
            names = set()
            for label, bundle in v.items():
                for sk, sv in bundle.items():
                    _check_setting(path, types, sk, sv, f"axis {k}: {label}")
                    names.add(sk)
            bundles[k] = {str(label): bundle for label, bundle in v.items()}
            axes[k], settings_names = list(bundles[k]), names
        else:
            axes[k] = _axis_values(path, k, v, kind)
            for value in axes[k] if isinstance(axes[k], list) else (axes[k]["low"], axes[k]["high"]):
                _check_setting(path, types, k, value, f"axis {k}")
            settings_names = {k}
        for sk in settings_names:
            if sk in set_by:
                _fail(path, f"{sk!r} is set both by {set_by[sk]} and by axis {k!r}")
            set_by[sk] = f"axis {k!r}"
    quant_values = [b["quant"] for bs in bundles.values() for b in bs.values() if "quant" in b]
    for value in [preset, *(axes.get("quant") or []), *quant_values]:
        if value is not None and value not in presets:
            _fail(path, f"quant preset {value!r} is not defined; quant_presets defines {', '.join(presets)}")
    if "quant" in axes and not isinstance(axes["quant"], list):
        _fail(path, "axis 'quant' takes a list of preset names")

    cluster = parse_cluster(path, raw.get("cluster"), cluster_kind, workers)
    identity = jets_identity(jets, how)
    spec = ScanSpec(
        path=path.resolve(),
        name=name,
        jets=jets,
        jets_identity=identity,
        budgets=budgets,
        axes=axes,
        sampler=sampler,
        steps=steps,
        cluster=cluster,
    )
    if kind == "grid":
        points = [dict(zip(axes, combo, strict=True)) for combo in itertools.product(*axes.values())]
    else:
        rng = np.random.default_rng(sampler["seed"])
        points = [{k: _draw(rng, v) for k, v in axes.items()} for _ in range(sampler["n_trials"])]
    seen = set()
    for point in points:
        flat = {}
        for k, v in point.items():
            flat.update(bundles[k][v] if k in bundles else {k: v})
        settings = copy.deepcopy(base_settings)
        chosen = flat.get("quant", preset)
        settings["quant"] = {**presets[chosen or "default"], **settings["quant"]}
        for k, v in flat.items():
            ns, key, value = _check_setting(path, types, k, v, f"axis {k}")
            if ns == "quant":
                settings["quant"][key] = value
            elif ns != "quant_preset":
                settings[ns][key] = value
        key = trial_key(settings, identity, steps)
        if key not in seen:  # a random sampler can draw the same point twice
            seen.add(key)
            spec.trials.append(Trial(key=key, settings=settings, axes=point))
    if not spec.trials:
        _fail(path, "the scan has no trials")
    _check_values(spec)
    spec.warnings = synthesis_availability(steps, {t.settings["convert"].get("backend", "Vitis") for t in spec.trials})
    return spec


def _check_values(spec: ScanSpec) -> None:
    """Value checks that need no TensorFlow: conversion settings and estimate options, the partition geometry,
    the jets count; the model and quantization checks that do need it run in check_trials()."""
    from salt_hls.geometry import partition_geometry
    from salt_hls.settings import ConvertSettings, EstimateOptions

    for t in spec.trials:
        where = f"{spec.path}: trial {t.axes or '(fixed settings)'}"
        try:
            EstimateOptions(**t.settings["estimate"]).validate()
            conv = ConvertSettings(**t.settings["convert"])
            conv.validate()
            m = t.settings["model"]
            conv.parallelization_for(m.get("n_particles", 32))
            if m.get("architecture", "salt") == "salt" and ("n_particles" in m or "n_partitions" in m):
                partition_geometry(m.get("n_particles", 32), m.get("n_partitions", 4))
        except ConfigError as err:
            raise ConfigError(f"{where}: {err}") from None
        max_jets = t.settings["train"].get("max_jets")
        if max_jets is not None and max_jets < 10:
            raise ConfigError(f"{where}: train.max_jets = {max_jets} is too few to split into train/validation/test (need >= 10)")


def check_trials(spec: ScanSpec) -> None:
    """The checks that need the model package (and so TensorFlow): each trial's ModelSpec with its
    quantization formats, and its training settings. Run before any worker starts."""
    from salt_hls.model.builders import ModelSpec
    from salt_hls.train import TrainSettings

    for t in spec.trials:
        s = t.settings
        try:
            ModelSpec(**s["model"], quant=s["quant"])
            TrainSettings(**s["train"])
        except ConfigError as err:
            raise ConfigError(f"{spec.path}: trial {t.axes or '(fixed settings)'}: {err}") from None


def default_workers() -> int:
    """Workers for a LocalCluster sized to this machine: one per core, at most one per 3 GiB of memory
    (a worker holds TensorFlow, a model and a g++-built C simulation)."""
    import psutil

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cores, int(psutil.virtual_memory().total // (3 * 2**30))))
