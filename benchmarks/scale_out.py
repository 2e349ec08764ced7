"""Scale-out of the large scene: in this process, on the embedded Dask cluster, on a cluster by address.

Four runs of ``large_scene run`` on the same scene, each in a fresh process:

1. in this process, one thread (the reference for the speed-up);
2. in this process, two threads (SSCF fuses two windows at once, one thread each);
3. ``--dask local``: the embedded cluster (one worker process per core, one thread each);
4. ``--dask tcp://127.0.0.1:<port>``: a scheduler and two one-thread workers started here with
   the ``dask-scheduler`` and ``python -m fusion_core worker`` commands, as an existing cluster
   would be given.

With ``--batch N``, an archive instead: ``python -m fusion_core batch`` over N pairs (the scene of
``folder`` under N names, default settings, a report each) on a cluster by address of one, then
two, one-thread ``python -m fusion_core worker`` processes: the speed-up of the second.

For each: wall and CPU time (the workers' CPU time included: they are children of this
process), speed-up over run 1, efficiency (speed-up over the cores used) and the peak resident
memory of the run's processes together (sampled every 0.2 s). The machine's load average at the
start of each run is recorded beside it.

Usage::

    python -m benchmarks.scale_out /tmp/large_scene --json benchmarks/results/large_scene/scale_out.json
    python -m benchmarks.scale_out /tmp/scene1200 --batch 4 --json benchmarks/results/large_scene/batch.json
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Optional

import psutil

from .large_scene import PeakMemory

HERE = Path(__file__).resolve().parents[1]
#: Each worker's memory limit: the runs' 4 GB bound shared on this one machine by two workers,
#: the client (1.2 GB while it estimates the degradation, when the workers are idle; about 0.5 GB
#: during the windows), the scheduler (0.1 GB) and the workers' nannies (0.06 GB each). Measured
#: on the 3000² scene: all processes together peak at 3.8 GB.
WORKER_MEMORY = "1.5GiB"
#: A batch's scene bound: two scenes at once on two workers, with the client, within about 4 GB.
SCENE_MEMORY_GB = 1.6


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _cpu_of(pids: list[int]) -> float:
    """CPU seconds so far of running processes and their running children (a cluster's
    scheduler, and its workers' nannies with the worker processes they started)."""
    total = 0.0
    for pid in pids:
        process = psutil.Process(pid)
        for member in [process, *process.children(recursive=True)]:
            try:
                times = member.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += times.user + times.system
    return total


def fuse(folder: Path, threads: int, dask: str, shared: Path, extra_pids: list[int]) -> dict:
    """One ``large_scene run``; its record with wall, CPU (the run's process, its children and
    ``extra_pids``), load and the peak memory of the tree."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "record.json"
        load, cpu = os.getloadavg(), _children_cpu() + _cpu_of(extra_pids)
        proc = subprocess.Popen([sys.executable, "-m", "benchmarks.large_scene", "--shared", str(shared),
                                 "run", str(folder), "--threads", str(threads), "--dask", dask,
                                 "--json", str(out)], cwd=HERE, stdout=subprocess.DEVNULL)
        with PeakMemory(pids=[proc.pid, *extra_pids]) as memory:
            if proc.wait() != 0:
                raise RuntimeError(f"large_scene run failed (threads {threads}, dask {dask!r})")
        record = json.loads(out.read_text())
    record.pop("log", None)
    record.update(load_average_at_start=round(load[0], 1),
                  cpu_s_children=round(_children_cpu() + _cpu_of(extra_pids) - cpu, 1),
                  peak_rss_gb_tree=round(memory.peak / 2**30, 2))
    return record


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def address_cluster(workers: int, memory: str = "", logs: Optional[Path] = None
                    ) -> tuple[str, list[subprocess.Popen]]:
    """A scheduler and ``workers`` one-thread workers on this machine; their address and
    processes. ``logs``: a folder for each worker's log (``worker<k>.log``: pauses, restarts)."""
    # the scheduler's and workers' command-line entry points, on this interpreter (its torch)
    scheduler = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
    worker = [sys.executable, "-m", "fusion_core", "worker"]
    loopback = ["--no-dashboard", "--dashboard-address", "127.0.0.1:0"]  # its HTTP server too
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs = [subprocess.Popen([*scheduler, "--host", "127.0.0.1", "--port", str(port), *loopback],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    for k in range(workers):
        log = open(logs / f"worker{k}.log", "w") if logs is not None else subprocess.DEVNULL
        procs.append(subprocess.Popen([*worker, address, "--nthreads", "1", "--nworkers", "1",
                                       "--memory-limit", memory or WORKER_MEMORY, "--host", "127.0.0.1",
                                       *loopback], cwd=HERE,
                                      env=dict(os.environ, PYTHONPATH=str(HERE)),
                                      stdout=subprocess.DEVNULL, stderr=log))
    from distributed import Client

    with Client(address, timeout=60) as client:
        client.wait_for_workers(workers, timeout=120)
    return address, procs


def batch(folder: Path, scenes: int, workers: int) -> dict:
    """``python -m fusion_core batch`` over ``scenes`` copies of the pair in ``folder`` on a
    cluster of ``workers`` one-thread workers; its record (wall, CPU of every process, peak
    memory of them all, scenes done)."""
    with tempfile.TemporaryDirectory() as tmp:
        pairs = Path(tmp) / "pairs.csv"
        pairs.write_text("lr_hsi,hr_msi,name,max_memory_gb\n" + "".join(
            f"{folder / 'lr_hsi.tif'},{folder / 'hr_msi.tif'},scene{k},{SCENE_MEMORY_GB}\n" for k in range(scenes)))
        address, procs = address_cluster(workers, "0")  # a scene bounds itself (SCENE_MEMORY_GB)
        try:
            pids = [p.pid for p in procs]
            load, cpu = os.getloadavg(), _children_cpu() + _cpu_of(pids)
            t0 = time.perf_counter()
            proc = subprocess.Popen([sys.executable, "-m", "fusion_core", "batch", str(Path(tmp) / "out"),
                                     "--pairs", str(pairs), "--dask", address], cwd=HERE,
                                    stdout=subprocess.DEVNULL)
            with PeakMemory(pids=[proc.pid, *pids]) as memory:
                if proc.wait() != 0:
                    raise RuntimeError(f"the batch on {workers} worker(s) failed")
            wall = time.perf_counter() - t0
            cpu = _children_cpu() + _cpu_of(pids) - cpu
            summary = json.loads((Path(tmp) / "out" / "batch.json").read_text())
        finally:
            for p in reversed(procs):
                p.terminate()
                p.wait(timeout=30)
    return {"workers": workers, "scenes": scenes, "wall_s": round(wall, 1), "cpu_s": round(cpu, 1),
            "peak_rss_gb_tree": round(memory.peak / 2**30, 2), "load_average_at_start": round(load[0], 1),
            "summary": summary}


def main() -> int:
    from .scenes import SHARED

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--shared", type=Path, default=SHARED)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--skip-single", action="store_true", help="leave out the one-thread run")
    parser.add_argument("--batch", type=int, default=0, help="a batch of this many scenes on 1 then 2 workers")
    parser.add_argument("--worker-logs", type=Path, help="a folder for the logs of the cluster by address's workers")
    args = parser.parse_args()
    runs: dict = {}
    if args.batch:
        runs = {f"batch of {args.batch} scenes, {n} worker(s)": batch(args.folder, args.batch, n) for n in (1, 2)}
        one, two = (record["wall_s"] for record in runs.values())
        runs["speed-up"] = round(one / two, 2)
        print(json.dumps(runs, indent=1))
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(runs, indent=1), encoding="utf-8")
        return 0
    if not args.skip_single:
        runs["in this process, 1 thread"] = fuse(args.folder, 1, "", args.shared, [])
    def keep() -> None:  # after each run: a failed or stopped later run loses nothing
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(runs, indent=1), encoding="utf-8")

    runs["in this process, 2 threads"] = fuse(args.folder, 2, "", args.shared, [])
    keep()
    runs["embedded Dask cluster (DASK_SCHEDULER=local)"] = fuse(args.folder, 2, "local", args.shared, [])
    keep()
    address, procs = address_cluster(2, logs=args.worker_logs)
    try:
        time.sleep(1)
        runs["2-worker cluster by address"] = fuse(args.folder, 2, address, args.shared,
                                                   [p.pid for p in procs])
    finally:
        for proc in reversed(procs):
            proc.terminate()
            proc.wait(timeout=30)
    base = runs["in this process, 2 threads"]["wall_s"]
    print("| run | wall s | over threads (2) | CPU s, all processes | peak memory GB, all processes | "
          "PSNR, 4 crops, dB | load at start |\n|---|---|---|---|---|---|---|")
    for label, record in runs.items():
        print(f"| {label} | {record['wall_s']} | {record['wall_s'] / base:.2f}× | {record['cpu_s_children']} | "
              f"{record['peak_rss_gb_tree']} | {record['psnr_4_crops_db']} | {record['load_average_at_start']} |",
              flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(runs, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
