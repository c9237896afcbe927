"""Run a scan: skip the trials already done, submit the others as Dask tasks, follow their states,
and write the results table when all are back."""

from __future__ import annotations

import json
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from salt_hls.scan.spec import ScanSpec
from salt_hls.scan.trial import TMP_PREFIX, read_result, run_trial

SCAN_JSON = "scan.json"


@dataclass
class ScanOutcome:
    skipped: int = 0
    ok: int = 0
    failed: int = 0
    lost: dict = field(default_factory=dict)  # key -> why the task never returned (e.g. its worker died)
    seconds: float = 0.0


def prepare_out_dir(spec: ScanSpec, out: Path, echo=print) -> None:
    """DIR/scan.json (what --report reads) and DIR/trials/; removes work directories of trials that were
    interrupted (a killed scan or worker), whose trials run again."""
    trials = out / "trials"
    trials.mkdir(parents=True, exist_ok=True)
    stale = sorted(p for p in trials.iterdir() if p.name.startswith(TMP_PREFIX))
    for p in stale:
        shutil.rmtree(p)
    if stale:
        echo(
            f"removed {len(stale)} unfinished trial work director{'y' if len(stale) == 1 else 'ies'} from an interrupted run: "
            + ", ".join(p.name for p in stale)
        )
    (out / SCAN_JSON).write_text(json.dumps(spec.to_dict(), indent=2) + "\n")


def _line(record: dict) -> str:
    axes = " ".join(f"{k}={v}" for k, v in record["axes"].items())
    if record["status"] != "ok":
        return f"failed {record['key']}  {axes}  at {record.get('failed_step')}: {record.get('error', '')[:160]}"
    t, e = record["train"]["test_metrics"], record["estimate"]
    csim = record.get("csim")
    exact = f", bit-exact {csim['n_bit_exact']}/{csim['n_jets']}" if csim else ""
    return (
        f"ok     {record['key']}  {axes}  accuracy {100 * t['accuracy']:.2f} %, LUT {e['resources']['LUT']:,}, "
        f"latency {e['latency_ns']} ns{exact} ({record['seconds']['total']:.0f} s)"
    )


def trials_to_run(spec: ScanSpec, out, retry_failed: bool = False) -> list:
    """The trials of `spec` without a result in `out` (or with a failed one, when retrying those)."""
    todo = []
    for t in spec.trials:
        stored = read_result(out, t.key)
        if stored is None or (stored["status"] != "ok" and retry_failed):
            todo.append(t)
    return todo


def run_scan(spec: ScanSpec, out, client, retry_failed: bool = False, progress: bool = True, echo=print) -> ScanOutcome:
    """Run every trial of `spec` not yet in `out` on `client`'s workers (client may be None when there
    are none to run); returns the counts."""
    out = Path(out).resolve()
    t0 = time.time()
    prepare_out_dir(spec, out, echo)
    todo = trials_to_run(spec, out, retry_failed)
    outcome = ScanOutcome(skipped=len(spec.trials) - len(todo))
    echo(f"{spec.name}: {len(spec.trials)} trials, {outcome.skipped} already done, {len(todo)} to run")
    if not todo:
        return outcome
    from distributed import as_completed
    from tqdm import tqdm

    # key= names the task by the trial's hash; pure=False because a retried failure must run again
    futures = {
        client.submit(run_trial, t.payload(spec), str(out), retry_failed, key=f"trial-{t.key}", pure=False): t for t in todo
    }
    # a bar redrawn into a log file is noise: off unless stderr is a terminal
    bar = tqdm(
        total=len(spec.trials),
        initial=outcome.skipped,
        unit="trial",
        desc=spec.name,
        disable=not (progress and sys.stderr.isatty()),
        dynamic_ncols=True,
        mininterval=1.0,
    )
    pending = set(futures)
    ac = as_completed(futures)
    while pending:
        for fut in ac.next_batch(block=False):
            pending.discard(fut)
            trial = futures[fut]
            try:
                record = fut.result()
            except Exception as exc:  # the task itself never came back: its worker died or the cluster went away
                outcome.lost[trial.key] = f"{type(exc).__name__}: {exc}"
                bar.write(f"lost   {trial.key}  {trial.axes}: {outcome.lost[trial.key]}")
            else:
                if record["status"] == "ok":
                    outcome.ok += 1
                else:
                    outcome.failed += 1
                bar.write(_line(record))
            bar.update(1)
        # a trial is running while its work directory exists (the scheduler's view counts tasks merely assigned)
        running = sum(1 for p in (out / "trials").iterdir() if p.name.startswith(TMP_PREFIX)) if pending else 0
        bar.set_postfix_str(
            f"running {running}, queued {max(0, len(pending) - running)}, ok {outcome.ok}, "
            f"failed {outcome.failed}, lost {len(outcome.lost)}",
            refresh=False,
        )
        bar.refresh()
        if pending:
            time.sleep(1.0)
    bar.close()
    outcome.seconds = round(time.time() - t0, 1)
    return outcome
