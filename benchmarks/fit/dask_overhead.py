"""Per-trial overhead of running a trial as a Dask task: a no-op trial through a 2-worker LocalCluster
(processes, 1 thread each: what `salt-hls scan` starts) against the same call made directly.

    nice -n 10 python benchmarks/fit/dask_overhead.py [--n 200]

writes benchmarks/fit/dask_overhead.json and prints one line. Cluster start-up is measured apart.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def noop_trial(payload: dict, out_dir: str, retry_failed: bool = False) -> dict:
    """run_trial's signature and a record of the same shape, without the work."""
    return {"key": payload["key"], "status": "ok", "seconds": {"total": 0.0}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200, help="trials of each kind")
    args = ap.parse_args()
    import logging

    import dask
    import distributed
    from dask.distributed import Client, LocalCluster, wait

    payloads = [{"key": f"{i:016x}", "settings": {"model": {"n_particles": 32}}, "axes": {}} for i in range(args.n)]
    t0 = time.perf_counter()
    direct = [noop_trial(p, "/tmp") for p in payloads]
    direct_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=logging.ERROR
        ) as cluster,
        Client(cluster) as client,
    ):
        client.wait_for_workers(2)
        startup_s = time.perf_counter() - t0
        # one at a time: the round trip a lone trial pays (submit -> scheduler -> worker -> result back)
        lone = []
        for p in payloads:
            t = time.perf_counter()
            client.submit(noop_trial, p, "/tmp", key=f"lone-{p['key']}", pure=False).result()
            lone.append(time.perf_counter() - t)
        # all at once, as the scan submits them: the scheduling cost per trial when the queue is full
        t = time.perf_counter()
        futures = [client.submit(noop_trial, p, "/tmp", key=f"batch-{p['key']}", pure=False) for p in payloads]
        wait(futures)
        assert [f.result()["key"] for f in futures] == [d["key"] for d in direct]
        batch_s = time.perf_counter() - t

    result = {
        "n": args.n,
        "direct_call_us": round(1e6 * direct_s / args.n, 2),
        "dask_round_trip_ms": {
            "median": round(1e3 * statistics.median(lone), 2),
            "p90": round(1e3 * sorted(lone)[int(0.9 * args.n)], 2),
        },
        "dask_batch_ms_per_trial": round(1e3 * batch_s / args.n, 2),
        "cluster_startup_s": round(startup_s, 2),
        "machine": f"{platform.machine()}, {len(os.sched_getaffinity(0))} cores, load average {os.getloadavg()[0]:.1f} at the end",
        "versions": {"dask": dask.__version__, "distributed": distributed.__version__},
        "command": f"nice -n 10 python benchmarks/fit/dask_overhead.py --n {args.n}",
    }
    (HERE / "dask_overhead.json").write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"direct {result['direct_call_us']} us; through Dask: {result['dask_round_trip_ms']['median']} ms per lone trial "
        f"(p90 {result['dask_round_trip_ms']['p90']} ms), {result['dask_batch_ms_per_trial']} ms per trial submitted together; "
        f"cluster start {result['cluster_startup_s']} s"
    )


if __name__ == "__main__":
    main()
