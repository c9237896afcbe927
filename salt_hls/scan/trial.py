"""One trial, as a Dask task: train -> convert -> bit-exact C simulation -> estimate, written atomically.

The trial works in DIR/trials/.tmp-<key>-<random>/ and, finished or failed, renames it to
DIR/trials/<key>/ in one step, so a trial directory is either complete or absent: a killed worker
leaves only a .tmp-* directory, which the next run removes, and the trial runs again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import time
import traceback
import uuid
from pathlib import Path

METRICS = "metrics.json"
ERROR = "error.txt"
LOG = "log.txt"
ESTIMATE = "estimate.json"
PROJECT_SUMMARY = "project_summary.json"
TMP_PREFIX = ".tmp-"


def trial_dir(out_dir, key: str) -> Path:
    return Path(out_dir) / "trials" / key


def read_result(out_dir, key: str) -> dict | None:
    path = trial_dir(out_dir, key) / METRICS
    return json.loads(path.read_text()) if path.is_file() else None


def _limit_threads() -> None:
    """In a Dask worker, TensorFlow uses the worker's threads (1 by default), not every core, so that
    workers sharing a machine do not fight over it."""
    try:
        from distributed import get_worker

        n = get_worker().state.nthreads
    except (ImportError, ValueError):  # called directly, not as a Dask task
        return
    import tensorflow as tf

    with contextlib.suppress(RuntimeError):  # already set by an earlier trial in this worker process
        tf.config.threading.set_intra_op_parallelism_threads(n)
        tf.config.threading.set_inter_op_parallelism_threads(n)


def _steps(p: dict, work: Path, record: dict) -> None:
    """The trial's steps, each timed in record["seconds"]; record["step"] names the one running."""
    seconds = record["seconds"]

    def step(name):
        record["step"] = name
        seconds[name] = time.time()

    def done(name):
        seconds[name] = round(time.time() - seconds[name], 1)

    s, jets, steps = p["settings"], p["jets"], p["steps"]
    step("setup")
    _limit_threads()
    from salt_hls.data.jets import load_jets
    from salt_hls.estimate.estimator import estimate_project, write_estimate
    from salt_hls.evaluate import model_inputs
    from salt_hls.hls.convert import convert
    from salt_hls.hls.csim import run_csim
    from salt_hls.model.builders import ModelSpec
    from salt_hls.settings import SUMMARY_FILE, ConvertSettings, EstimateOptions
    from salt_hls.train import TrainSettings, train

    done("setup")
    step("train")
    meta = train(jets, ModelSpec(**s["model"], quant=s["quant"]), work / "model", TrainSettings(**s["train"]), verbose=2)
    done("train")
    record["train"] = {
        "test_metrics": meta["test_metrics"],
        "epochs_run": meta["training"]["epochs_run"],
        "seconds": meta["training"]["seconds"],
        "n_test": meta["data"]["split"]["n_test"],
    }
    step("convert")
    conv = ConvertSettings(**s["convert"])
    convert(work / "model", work / "project", conv, tb_inputs=model_inputs(meta, load_jets(jets, max_jets=100)))
    shutil.copy2(work / "project" / SUMMARY_FILE, work / PROJECT_SUMMARY)
    done("convert")
    if steps["bit_exact_jets"]:
        step("csim")
        r = run_csim(work / "project", jets, max_jets=steps["bit_exact_jets"], test_split=True, bit_exact=True)
        record["csim"] = {k: r[k] for k in ("n_jets", "n_bit_exact", "argmax_agreement", "max_abs_diff")}
        record["csim"]["bit_exact"] = r["n_bit_exact"] == r["n_jets"]
        if not record["csim"]["bit_exact"]:
            record["csim"]["first_mismatch"] = r["first_mismatch"]
            record["csim"]["first_mismatch_layer"] = r.get("first_mismatch_layer")
        done("csim")
    step("estimate")
    report = estimate_project(work / "project", EstimateOptions(**s["estimate"]))
    write_estimate(report, work / ESTIMATE)
    record["estimate"] = {
        "resources": report.to_dict()["resources"]["post_synthesis"],
        "latency_cycles": report.latency_max_cycles,
        "latency_ns": report.latency_ns("max"),
        "ii_cycles": report.interval_max_cycles,
        "clock_estimate_ns": report.clock_estimate_ns,
    }
    done("estimate")
    if not steps["keep_project"]:
        # the project (firmware sources, testbench, the g++ build) is rebuilt from model/ by `salt-hls convert`
        shutil.rmtree(work / "project")
    record.pop("step")


def _publish(work: Path, final: Path) -> None:
    """Rename the finished work directory to its final name; a previous (failed) result is moved aside first."""
    if final.exists():
        aside = final.with_name(f"{TMP_PREFIX}old-{final.name}-{uuid.uuid4().hex[:8]}")
        os.replace(final, aside)
        os.replace(work, final)
        shutil.rmtree(aside)
    else:
        os.replace(work, final)


def run_trial(payload: dict, out_dir: str, retry_failed: bool = False) -> dict:
    """Run one trial (or return its stored result) and return its record, as written to metrics.json.

    A failure in any step is caught: the record says status "failed" with the step and the error, and
    error.txt holds the traceback; the trial directory is still written, so the scan goes on."""
    key = payload["key"]
    final = trial_dir(out_dir, key)
    stored = read_result(out_dir, key)
    if stored is not None and (stored["status"] == "ok" or not retry_failed):
        return stored
    work = final.with_name(f"{TMP_PREFIX}{key}-{uuid.uuid4().hex[:8]}")
    work.mkdir(parents=True)
    record = {
        "key": key,
        "status": "running",
        "axes": payload["axes"],
        "settings": payload["settings"],
        "steps": payload["steps"],
        "salt_hls_version": payload["salt_hls_version"],
        "host": platform.node(),
        "pid": os.getpid(),
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "seconds": {},
    }
    t0 = time.time()
    with open(work / LOG, "w") as log, contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        try:
            _steps(payload, work, record)
            record["status"] = "ok"
        except Exception as exc:  # any failure of a step is the trial's result, not the scan's end
            (work / ERROR).write_text(traceback.format_exc())
            failed = record.pop("step", None)
            if failed in record["seconds"]:  # the failed step's start time, made its duration
                record["seconds"][failed] = round(time.time() - record["seconds"][failed], 1)
            record.update(status="failed", failed_step=failed, error=f"{type(exc).__name__}: {exc}")
    record["seconds"]["total"] = round(time.time() - t0, 1)
    (work / METRICS).write_text(json.dumps(record, indent=2, default=_jsonable) + "\n")
    _publish(work, final)
    return record


def _jsonable(value):
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
