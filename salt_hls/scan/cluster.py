"""Where the trials run: a LocalCluster sized to the machine, an HTCondor or Slurm cluster from
dask-jobqueue with adaptive scaling, or an existing scheduler. Dask is imported only here."""

from __future__ import annotations

import contextlib
import logging

from salt_hls.scan.spec import default_workers

# dask-jobqueue's name for each cluster kind
_JOBQUEUE = {"htcondor": "HTCondorCluster", "slurm": "SLURMCluster"}


def batch_cluster(cluster: dict):
    """The dask-jobqueue cluster of a validated cluster section (kind htcondor or slurm): one worker
    process per job, `cores` threads (default 1) and `memory` per worker. Its job_script() is the
    script each batch job runs. Constructing it starts a scheduler in this process; no batch system
    is contacted until workers are asked for."""
    import dask_jobqueue

    kwargs = {k: v for k, v in cluster.items() if k not in ("kind", "workers", "minimum_workers")}
    kwargs.setdefault("cores", 1)
    kwargs["processes"] = 1
    return getattr(dask_jobqueue, _JOBQUEUE[cluster["kind"]])(silence_logs=logging.ERROR, **kwargs)


@contextlib.contextmanager
def open_client(cluster: dict, scheduler: str | None = None):
    """A dask.distributed Client on the scan's workers, closed (with the cluster it started) on exit."""
    from dask.distributed import Client, LocalCluster

    if scheduler:
        with Client(scheduler) as client:
            yield client
        return
    if cluster["kind"] == "local":
        n = cluster.get("workers") or default_workers()
        made = LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            memory_limit=cluster.get("memory", "auto"),
            dashboard_address=":0",
            silence_logs=logging.ERROR,
        )  # any free port: scans may run side by side
    else:
        made = batch_cluster(cluster)
        made.adapt(minimum=cluster.get("minimum_workers", 0), maximum=cluster["workers"])
    with made, Client(made) as client:
        yield client


def describe(client) -> str:
    info = client.scheduler_info()
    workers = info.get("workers", {})
    threads = sum(w.get("nthreads", 0) for w in workers.values())
    return f"scheduler {info.get('address')}, {len(workers)} workers, {threads} threads"
