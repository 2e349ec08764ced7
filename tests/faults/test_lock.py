"""One run per output: a second run is refused at once naming the first, a stale lock is taken
over, and of runs starting together exactly one gets the output."""

import json
import os
import signal
import socket
import subprocess
import threading
import time

import pytest

from fusion_core import FusionRequest, fuse_files
from fusion_core.errors import InputError
from fusion_core.io import lock as lock_module
from fusion_core.io.lock import OutputLock, lock_path

from .conftest import FUSED_AND_REPORT, cli, leftovers, signal_and_wait, start, wait_for


def dead_pid() -> int:
    """The id of a process that has ended."""
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def write_lock(output, pid, host=None, started=None):
    lock_path(output).write_text(json.dumps({"pid": pid, "host": host or socket.gethostname(),
                                             "started": started or time.time(),
                                             "token": "earlier0"}))


def test_a_second_run_on_the_same_output_is_refused_at_once_naming_the_first(inputs, tmp_path):
    out = tmp_path / "fused.tif"
    first = start(cli("fuse", str(inputs.lr), str(inputs.hr), str(out), "--method", "udaln"))
    wait_for(lambda: lock_path(out).exists(), first)
    t0 = time.monotonic()
    with pytest.raises(InputError, match=rf"output {out} is being written by another run \(process "
                                         rf"{first.pid} on {socket.gethostname()}, started "
                                         r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\): wait for it"):
        fuse_files(FusionRequest(str(inputs.lr), str(inputs.hr), str(out)))
    assert time.monotonic() - t0 < 5
    code, err, seconds = signal_and_wait(first, signal.SIGTERM)
    assert code == 143 and err.strip().endswith("error: interrupted (SIGTERM): no output was written.")
    assert seconds < 10 and "Traceback" not in err
    assert leftovers(tmp_path, {"inputs"}) == []


def test_a_stale_lock_of_a_killed_run_is_taken_over(inputs, tmp_path):
    out = tmp_path / "fused.tif"
    write_lock(out, dead_pid())
    fuse_files(FusionRequest(str(inputs.lr), str(inputs.hr), str(out)))
    assert leftovers(tmp_path, {"inputs"}) == FUSED_AND_REPORT


def test_a_lock_whose_process_id_was_reused_is_stale(tmp_path):
    out = tmp_path / "fused.tif"
    write_lock(out, os.getppid(), started=1000.0)  # a lock from 1970: that process started later
    with OutputLock.acquire(out) as lock:
        assert lock.holder.pid == os.getpid()
    assert not lock_path(out).exists()


def test_a_live_lock_held_on_another_host_is_refused_saying_when_it_would_be_taken_over(tmp_path):
    out = tmp_path / "fused.tif"
    write_lock(out, dead_pid(), host="elsewhere")
    with pytest.raises(InputError, match=rf"process \d+ on elsewhere, .* last renewed \d+ s ago: a run "
                                         rf"that renews it no more for 300 s is taken for dead .* "
                                         rf"delete {lock_path(out)} if that run is known to be gone"):
        OutputLock.acquire(out, "OUTPUT")


def test_a_lock_of_another_host_whose_heartbeat_stopped_is_taken_over(tmp_path):
    out = tmp_path / "fused.tif"
    write_lock(out, os.getpid(), host="crashed-node")
    past = time.time() - lock_module.STALE_S - 5
    os.utime(lock_path(out), (past, past))
    with OutputLock.acquire(out) as lock:
        assert lock.holder.host == socket.gethostname()
    assert not lock_path(out).exists()


def test_a_run_keeps_its_lock_alive_while_it_holds_it(tmp_path, monkeypatch):
    monkeypatch.setattr(lock_module, "HEARTBEAT_S", 0.05)
    out = tmp_path / "fused.tif"
    with OutputLock.acquire(out):
        past = time.time() - 1000
        os.utime(lock_path(out), (past, past))
        deadline = time.monotonic() + 5
        while lock_module.heartbeat_age(lock_path(out)) > 10 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert lock_module.heartbeat_age(lock_path(out)) < 10


@pytest.mark.parametrize("stale", [False, True])
def test_of_runs_starting_together_exactly_one_gets_the_output(tmp_path, stale):
    out = tmp_path / "fused.tif"
    if stale:
        write_lock(out, dead_pid())
    barrier, won, refused = threading.Barrier(8), [], []

    def run():
        barrier.wait()
        try:
            won.append(OutputLock.acquire(out))
        except InputError as exc:
            refused.append(str(exc))

    threads = [threading.Thread(target=run) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert (len(won), len(refused)) == (1, 7)
    assert all("is being written by another run" in m or "is starting" in m for m in refused)
    won[0].release()
    assert not lock_path(out).exists()
