"""salt-hls scan: the scan file's validation, trial identities, the batch job scripts, the results
table, and a tiny scan on a 2-worker LocalCluster that is killed after its first trial and resumed."""

import csv
import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import fields
from pathlib import Path

import pytest
import yaml

from salt_hls.errors import ConfigError
from salt_hls.scan import spec as scan_spec
from salt_hls.scan.results import pareto
from salt_hls.scan.spec import load_scan

ROOT = Path(__file__).resolve().parents[1]
BUDGET = ROOT / "synth_reports" / "budgets" / "l1t-default.yaml"


def write_scan(path: Path, jets_file: Path, **changes) -> Path:
    scan = {
        "name": "tiny",
        "jets": str(jets_file),
        "jets_identity": "stat",
        "budgets": {"l1t": str(BUDGET)},
        "fixed": {
            "model.n_particles": 8,
            "model.n_partitions": 2,
            "model.d_model": 8,
            "model.ffn_dim": 8,
            "model.classifier_dim": 8,
            "train.epochs": 1,
            "train.batch_size": 64,
            "train.max_jets": 150,
        },
        "axes": {"model.n_heads": [2, 4], "train.seed": [0, 1]},
        "steps": {"bit_exact_jets": 0},
        "cluster": {"kind": "local", "workers": 2},
    }
    for k, v in changes.items():
        if v is None:
            scan.pop(k)
        else:
            scan[k] = v
    path.write_text(yaml.safe_dump(scan, sort_keys=False))
    return path


def test_setting_names_match_the_dataclasses():
    from salt_hls.model.builders import ModelSpec
    from salt_hls.train import TrainSettings

    names = {f.name for f in fields(ModelSpec)}
    assert set(scan_spec.MODEL_KEYS) == names - {"n_features", "n_classes", "quantized", "quant", "conv_heights"}
    assert set(scan_spec.TRAIN_KEYS) == {f.name for f in fields(TrainSettings)}
    types = scan_spec.setting_types()
    assert types["convert"] == {
        "backend": str,
        "part": str,
        "clock_ns": float,
        "reuse": int,
        "parallelization": int,
        "dense_strategy": str,
        "da_hard_dc": int,
        "products": str,
    }
    assert types["estimate"]["table_entries"] is int and types["estimate"]["dsp_packing"] is bool


def test_grid_expands_and_keys_are_stable(tmp_path, tiny_jets):
    a = load_scan(write_scan(tmp_path / "a.yaml", tiny_jets))
    assert [t.axes for t in a.trials] == [
        {"model.n_heads": 2, "train.seed": 0},
        {"model.n_heads": 2, "train.seed": 1},
        {"model.n_heads": 4, "train.seed": 0},
        {"model.n_heads": 4, "train.seed": 1},
    ]
    assert len({t.key for t in a.trials}) == 4 and all(len(t.key) == 16 for t in a.trials)
    assert a.trials[0].settings["model"] == {
        "n_particles": 8,
        "n_partitions": 2,
        "d_model": 8,
        "ffn_dim": 8,
        "classifier_dim": 8,
        "n_heads": 2,
    }
    # the same file again: the same keys; a changed fixed setting or other steps: other keys
    assert [t.key for t in load_scan(tmp_path / "a.yaml").trials] == [t.key for t in a.trials]
    b = load_scan(write_scan(tmp_path / "b.yaml", tiny_jets, steps={"bit_exact_jets": 5}))
    assert not {t.key for t in a.trials} & {t.key for t in b.trials}
    # the budget is checked from the stored estimate, so it does not enter the key
    c = load_scan(write_scan(tmp_path / "c.yaml", tiny_jets, budgets=[str(BUDGET)]))
    assert [t.key for t in c.trials] == [t.key for t in a.trials] and list(c.budgets) == ["l1t-default"]


def test_jets_content_enters_the_key(tmp_path, tiny_jets):
    import shutil

    from conftest import write_pythia_layout

    other = write_pythia_layout(tmp_path / "other.h5", seed=5)
    copy = shutil.copy(tiny_jets, tmp_path / "copy.h5")
    key = load_scan(write_scan(tmp_path / "s.yaml", tiny_jets, jets_identity="content")).trials[0].key
    assert load_scan(write_scan(tmp_path / "s.yaml", Path(copy), jets_identity="content")).trials[0].key == key
    assert load_scan(write_scan(tmp_path / "s.yaml", other, jets_identity="content")).trials[0].key != key


def test_bundle_axis_sets_settings_together(tmp_path, tiny_jets):
    axes = {"size": {"small": {"model.d_model": 8, "model.n_heads": 2, "quant": "a8"}, "big": {}}, "train.seed": [0, 1]}
    s = load_scan(
        write_scan(
            tmp_path / "b.yaml", tiny_jets, axes=axes, fixed={"model.n_particles": 8}, quant_presets={"a8": {"qkv.weight": "8,1"}}
        )
    )
    assert [t.axes for t in s.trials] == [
        {"size": "small", "train.seed": 0},
        {"size": "small", "train.seed": 1},
        {"size": "big", "train.seed": 0},
        {"size": "big", "train.seed": 1},
    ]
    assert s.trials[0].settings["model"] == {"n_particles": 8, "d_model": 8, "n_heads": 2}
    assert s.trials[0].settings["quant"] == {"qkv.weight": "8,1"}
    assert s.trials[2].settings["model"] == {"n_particles": 8} and s.trials[2].settings["quant"] == {}
    with pytest.raises(ConfigError, match=re.escape("'model.n_particles' is set both by fixed and by axis 'size'")):
        load_scan(
            write_scan(
                tmp_path / "c.yaml", tiny_jets, axes={"size": {"a": {"model.n_particles": 16}}}, fixed={"model.n_particles": 8}
            )
        )


def test_random_sampler_is_seeded(tmp_path, tiny_jets):
    axes = {"train.learning_rate": {"low": 1e-4, "high": 1e-2, "log": True}, "model.n_heads": [2, 4]}
    s1 = load_scan(write_scan(tmp_path / "r.yaml", tiny_jets, axes=axes, sampler={"kind": "random", "n_trials": 5, "seed": 3}))
    s2 = load_scan(tmp_path / "r.yaml")
    assert [t.axes for t in s1.trials] == [t.axes for t in s2.trials]
    assert all(1e-4 <= t.axes["train.learning_rate"] <= 1e-2 for t in s1.trials)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"epochs": 3}, "unknown key(s) 'epochs' in the scan file"),
        ({"fixed": {"model.depth": 2}}, "unknown setting 'model.depth'; model.* takes architecture"),
        ({"fixed": {"trian.epochs": 2}}, "unknown setting 'trian.epochs'; write model.*"),
        ({"fixed": {"train.epochs": "two"}}, "fixed: train.epochs must be int, got 'two'"),
        ({"axes": {"model.n_heads": []}}, "axis 'model.n_heads' has no values"),
        ({"axes": {"train.learning_rate": {"low": 1e-4, "high": 1e-2}}}, "(ranges need sampler kind: random)"),
        ({"axes": {"quant": ["a8"]}}, "quant preset 'a8' is not defined"),
        ({"jets": "missing.h5"}, "missing.h5 does not exist"),
        ({"budgets": ["nowhere.yaml"]}, "nowhere.yaml does not exist"),
        ({"steps": {"synthesis": True}}, "unknown key(s) 'synthesis' in steps"),
        ({"sampler": {"kind": "optuna"}}, "sampler kind 'optuna' is unknown"),
        ({"cluster": {"kind": "slurm", "workers": 4}}, "a slurm cluster needs memory per worker"),
        ({"cluster": {"kind": "htcondor", "workers": 4, "memory": "4GiB"}}, "a htcondor cluster needs disk per worker"),
        ({"cluster": {"kind": "local", "queue": "short"}}, "unknown key(s) 'queue' in cluster (kind local)"),
        ({"fixed": {"model.n_particles": 8, "model.n_partitions": 16}}, "trial"),
        ({"fixed": {"estimate.table_entries": 100}}, "table entries must be a power of two >= 2, got 100"),
        (
            {"fixed": {"model.n_particles": 8, "convert.parallelization": 3}},
            "parallelization factor 3 does not divide N = 8; choose one of [1, 2, 4, 8]",
        ),
        ({"fixed": {"convert.part": "xc7nope"}}, "xc7nope"),
    ],
)
def test_bad_scan_files_are_refused_with_the_reason(tmp_path, tiny_jets, changes, message):
    path = write_scan(tmp_path / "bad.yaml", tiny_jets, **changes)
    with pytest.raises(ConfigError) as err:
        load_scan(path)
    assert message in str(err.value)
    assert str(path) in str(err.value)


def test_validation_imports_neither_tensorflow_nor_dask(tmp_path, tiny_jets):
    path = write_scan(tmp_path / "s.yaml", tiny_jets, fixed={"train.epochs": "x"})
    code = (
        "import sys\nfrom salt_hls.scan.spec import load_scan\nfrom salt_hls.errors import ConfigError\n"
        f"try:\n    load_scan({str(path)!r})\nexcept ConfigError as e:\n    print('refused:', e)\n"
        "print(sorted(m for m in ('tensorflow', 'dask', 'distributed') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "refused:" in out and "train.epochs must be int" in out
    assert out.strip().endswith("[]")


def test_declared_synthesis_says_why_it_is_not_run(tmp_path, tiny_jets, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    s = load_scan(write_scan(tmp_path / "s.yaml", tiny_jets, steps={"open_synthesis": True, "vendor_synthesis": True}))
    assert any(w.startswith("vendor synthesis is NOT available: no HLS tool found on PATH") for w in s.warnings)
    assert any(w.startswith("open synthesis is not run by the scan: run `salt-hls rtl`") for w in s.warnings)


def test_job_scripts_from_the_cluster_section(tmp_path, tiny_jets):
    from salt_hls.scan.cluster import batch_cluster

    slurm = {
        "kind": "slurm",
        "workers": 8,
        "cores": 1,
        "memory": "6GiB",
        "walltime": "02:00:00",
        "queue": "short",
        "account": "cms",
        "job_script_prologue": ["source /opt/salt/.venv/bin/activate"],
        "job_extra_directives": ["--exclusive"],
    }
    condor = {
        "kind": "htcondor",
        "workers": 8,
        "memory": "6GiB",
        "disk": "10GiB",
        "job_extra_directives": {"+JobFlavour": '"workday"'},
        "python": "/opt/salt/.venv/bin/python",
    }
    spec = load_scan(write_scan(tmp_path / "s.yaml", tiny_jets, cluster=slurm))
    with batch_cluster(spec.cluster) as cluster:
        script = cluster.job_script()
    for line in (
        "#SBATCH -p short",
        "#SBATCH -A cms",
        "#SBATCH -n 1",
        "#SBATCH --cpus-per-task=1",
        "#SBATCH --mem=6G",
        "#SBATCH -t 02:00:00",
        "#SBATCH --exclusive",
        "source /opt/salt/.venv/bin/activate",
    ):
        assert line in script, line
    assert "--nthreads 1 --memory-limit 6.00GiB" in script
    spec = load_scan(write_scan(tmp_path / "s.yaml", tiny_jets, cluster=condor))
    with batch_cluster(spec.cluster) as cluster:
        script = cluster.job_script()
    for line in (
        "RequestCpus = MY.DaskWorkerCores",
        "MY.DaskWorkerCores = 1",
        "MY.DaskWorkerMemory = 6442450944",
        "MY.DaskWorkerDisk = 10737418240",
        '+JobFlavour = "workday"',
        "/opt/salt/.venv/bin/python -m distributed.cli.dask_worker",
        "--nthreads 1",
        "--memory-limit 6.00GiB",
    ):
        assert line in script, line


def test_pareto_front_keeps_the_undominated_trials():
    rows = [
        {"key": k, "status": "ok", "accuracy": a, "LUT": lut}
        for k, a, lut in [("a", 0.50, 100), ("b", 0.55, 200), ("c", 0.52, 300), ("d", 0.60, 400), ("e", 0.60, 500)]
    ]
    rows.append({"key": "f", "status": "failed"})
    assert [r["key"] for r in pareto(rows, "any")] == ["d", "b", "a"]


def _scan(args, cwd, **kw):
    cmd = [sys.executable, "-c", "from salt_hls.cli import main; main()", "scan", *args]
    return subprocess.Popen(
        cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True, **kw
    )


def _finished(out: Path) -> dict:
    trials = out / "trials"
    if not trials.is_dir():
        return {}
    return {
        p.name: (p / "metrics.json").stat().st_mtime_ns
        for p in trials.iterdir()
        if not p.name.startswith(".") and (p / "metrics.json").is_file()
    }


@pytest.mark.slow
def test_scan_killed_after_a_trial_resumes_without_recomputing(tmp_path, tiny_jets):
    easy = tmp_path / "easy.yaml"
    easy.write_text(
        BUDGET.read_text().replace("latency_max_ns: 100", "latency_max_ns: 10000").replace("name: l1t-default", "name: easy")
    )
    path = write_scan(tmp_path / "scan.yaml", tiny_jets, budgets={"l1t": str(BUDGET), "easy": str(easy)})
    out = tmp_path / "out"
    first = _scan([str(path), "--out", str(out), "--no-progress"], tmp_path)
    deadline = time.time() + 600
    while not _finished(out) and first.poll() is None and time.time() < deadline:
        time.sleep(0.5)
    os.killpg(first.pid, signal.SIGKILL)  # the scan, its scheduler and its workers, mid-trial
    first.wait()
    done_before = _finished(out)
    assert 1 <= len(done_before) < 4, first.stdout.read()

    second = _scan([str(path), "--out", str(out), "--no-progress"], tmp_path)
    log = second.communicate(timeout=600)[0]
    assert second.returncode == 6, log  # two trials fail: ExitCode.TRIALS_FAILED
    assert f"4 trials, {len(done_before)} already done, {4 - len(done_before)} to run" in log
    after = _finished(out)
    assert {k: after[k] for k in done_before} == done_before  # not recomputed, not rewritten
    assert not [p for p in (out / "trials").iterdir() if p.name.startswith(".")]

    with open(out / "results.csv") as f:
        rows = list(csv.DictReader(f))
    scan = json.loads((out / "scan.json").read_text())
    assert [r["key"] for r in rows] == [t["key"] for t in scan["trials"]]
    for r in rows:
        record = json.loads((out / "trials" / r["key"] / "metrics.json").read_text())
        assert float(r["accuracy"]) == record["train"]["test_metrics"]["accuracy"]
        if r["axis:model.n_heads"] == "2":
            assert r["status"] == "ok" and int(r["LUT"]) == record["estimate"]["resources"]["LUT"] > 0
            assert r["fits:l1t"] == "False" and "latency max" in r["over:l1t"] and r["fits:easy"] == "True"
        else:  # head dimension 8 / 4 = 2: the converter refuses it, after training
            assert r["status"] == "failed" and r["error"].startswith("convert: ConfigError: head dimension d = 2")
            assert "1/sqrt(d) is not a power of two" in (out / "trials" / r["key"] / "error.txt").read_text()

    table = (out / "results.md").read_text()
    (out / "results.md").unlink()
    report = _scan(["--report", str(out), "--best", "easy", "--name", "tiny_best"], tmp_path)
    log = report.communicate(timeout=120)[0]
    assert report.returncode == 0, log
    assert (out / "results.md").read_text() == table
    ok = [r for r in rows if r["status"] == "ok"]
    best = max(ok, key=lambda r: float(r["accuracy"]))
    meta = json.loads((tmp_path / "keras_models" / "tiny_best" / "metadata.json").read_text())
    assert meta["scan"]["trial"] == best["key"] and meta["scan"]["budget"]["name"] == "easy"
    again = _scan(["--report", str(out), "--best", "easy", "--name", "tiny_best"], tmp_path)
    log = again.communicate(timeout=120)[0]
    assert again.returncode == 2 and "pass --force to replace it" in log
