"""One run at a time per output: a lock file beside the output, ``<output>.lock``.

A run creates the lock with ``O_CREAT | O_EXCL`` (so of two runs starting together exactly one
succeeds, on a local disk and on NFS v3+ alike) and writes into it who holds it: process id, host,
start time and a token unique to the run, which the run also puts in its temporary names. A second
run on the same output is refused at once, naming the holder. A lock left by a killed run is
stale when its process is gone from this host (or its id now belongs to a process started after
the lock): the next run takes it over. A run holding a lock also touches it every
:data:`HEARTBEAT_S` seconds, so a lock held on another host (a Dask client, or a run on another
machine of a cluster writing to shared storage) is stale once its heartbeat is older than
:data:`STALE_S`: a resumed job on another host then takes it over safely, however the first one
died (a crashed node, a job killed by the queue). The heartbeat's age is read on the storage's own
clock (the modification time of a file written there just now), so hosts whose clocks differ
agree on it. Taking over goes through a short-lived ``<output>.lock.takeover`` file, created
exclusively too, so two runs that find the same stale lock cannot both take it.

Example::

    with OutputLock.acquire("fused.tif", "OUTPUT"):
        ...  # write fused.tif and its temporary files
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Optional

from ..errors import InputError

__all__ = ["OutputLock", "LockHolder", "lock_path", "HEARTBEAT_S", "STALE_S"]

#: A lock file without readable content is taken for one being written for this long (seconds).
_BEING_WRITTEN_S = 10.0
#: How often a run touches the lock it holds (seconds).
HEARTBEAT_S = 30.0
#: A lock not touched for this long (seconds, on the storage's clock) is stale, whoever holds it:
#: ten missed heartbeats, so a busy file server or a paused process does not lose its lock.
STALE_S = 300.0


def lock_path(output: str | os.PathLike) -> Path:
    """The lock file of ``output``."""
    p = Path(output)
    return p.with_name(p.name + ".lock")


@dataclass(frozen=True)
class LockHolder:
    """Who holds a lock: process id, host, start time (seconds since the epoch) and run token."""

    pid: int
    host: str
    started: float
    token: str

    def describe(self) -> str:
        when = datetime.fromtimestamp(self.started).strftime("%Y-%m-%d %H:%M:%S")
        return f"process {self.pid} on {self.host}, started {when}"

    @classmethod
    def me(cls) -> "LockHolder":
        return cls(os.getpid(), socket.gethostname(), time.time(), uuid.uuid4().hex[:8])


def _process_alive(pid: int, since: float) -> bool:
    """Whether process ``pid`` of this host runs and started no later than ``since``."""
    try:
        import psutil
    except ImportError:  # pragma: no cover - psutil comes with Dask distributed
        psutil = None
    if psutil is not None:
        try:
            return psutil.Process(pid).create_time() <= since + 1.0
        except psutil.NoSuchProcess:
            return False
        except psutil.Error:  # exists, not ours to inspect
            return True
    if os.name != "posix":  # pragma: no cover - without psutil a Windows pid cannot be probed
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read_holder(path: Path) -> Optional[LockHolder]:
    """The holder written in a lock file; None when it has no readable content (yet)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return LockHolder(int(raw["pid"]), str(raw["host"]), float(raw["started"]),
                          str(raw["token"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _create_exclusive(path: Path, content: str) -> bool:
    """Create ``path`` holding ``content`` unless it exists; False when it does."""
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return False
    try:
        os.write(fd, content.encode("utf-8"))
        os.fsync(fd)
    except OSError:
        os.close(fd)
        path.unlink(missing_ok=True)
        raise
    os.close(fd)
    return True


class OutputLock:
    """The lock of one output, held by this run until :meth:`release`."""

    def __init__(self, output: Path, holder: LockHolder):
        self.output = output
        self.path = lock_path(output)
        self.holder = holder
        self._stop = threading.Event()
        self._heart = threading.Thread(target=self._beat, name="hsi-fusion-lock", daemon=True)
        self._heart.start()

    def _beat(self) -> None:
        """Touch the lock every :data:`HEARTBEAT_S` seconds until released."""
        while not self._stop.wait(HEARTBEAT_S):
            try:
                os.utime(self.path)
            except OSError:  # taken away (deleted by hand): nothing to keep alive
                return

    @property
    def token(self) -> str:
        """This run's token, for temporary names unique to the run."""
        return self.holder.token

    @classmethod
    def acquire(cls, output: str | os.PathLike, name: str = "output") -> "OutputLock":
        """Lock ``output`` for this run, taking over a stale lock.

        Args:
            output: the output path.
            name: how the caller names the output setting, for messages (``"OUTPUT"``).

        Raises:
            InputError: another run holds the lock (the message names it), or the lock cannot
                be created (the folder is missing or not writable).
        """
        output = Path(output)
        me = LockHolder.me()
        content = json.dumps(asdict(me))
        path = lock_path(output)
        for attempt in range(5):
            time.sleep(0.05 * attempt)
            if _exclusive(path, content, name, output):
                return cls(output, me)
            holder = _read_holder(path)
            if holder is None and _age(path) < _BEING_WRITTEN_S:
                raise InputError(f"Another run is starting on {name} {output} (its lock {path} "
                                 "is being written): wait for it to finish, or choose another "
                                 "output.")
            if holder is not None and _alive(holder, me.host, path):
                raise InputError(_held_message(holder, me.host, path, output, name))
            _take_over_stale(path, holder)
        raise InputError(f"Could not lock {name} {output}: other runs keep taking its lock "
                         f"{path}; run one at a time.")

    def release(self) -> None:
        """Stop the heartbeat and delete the lock file, if it is still this run's."""
        self._stop.set()
        holder = _read_holder(self.path)
        if holder is not None and holder.token == self.holder.token:
            self.path.unlink(missing_ok=True)

    def __enter__(self) -> "OutputLock":
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def _exclusive(path: Path, content: str, name: str, output: Path) -> bool:
    try:
        return _create_exclusive(path, content)
    except FileNotFoundError:
        raise InputError(f"The folder {path.parent} of {name} does not exist: create it or "
                         "choose another output path.") from None
    except PermissionError:
        raise InputError(f"Cannot write in the folder {path.parent} of {name} (permission "
                         "denied): choose a folder you can write to.") from None
    except OSError as exc:
        raise InputError(f"Cannot write in the folder {path.parent} of {name} ({exc.strerror}): "
                         "choose another output path.") from None


def _age(path: Path) -> float:
    try:
        return time.time() - path.stat().st_mtime
    except OSError:
        return 0.0


def _storage_now(folder: Path) -> float:
    """The time now on the clock of the storage holding ``folder`` (a network file system's
    server sets the times of its files), this host's where it cannot be read."""
    probe = folder / f".hsi-fusion-clock.{uuid.uuid4().hex[:8]}"
    try:
        probe.touch()
        return probe.stat().st_mtime
    except OSError:
        return time.time()
    finally:
        probe.unlink(missing_ok=True)


def heartbeat_age(path: Path) -> float:
    """Seconds since the lock at ``path`` was last touched, on the storage's clock."""
    try:
        touched = path.stat().st_mtime
    except OSError:
        return 0.0
    return max(0.0, _storage_now(path.parent) - touched)


def _alive(holder: LockHolder, host: str, path: Path) -> bool:
    """Whether the run holding a lock may still run: on this host, while its process does; on
    another, while it keeps the lock's heartbeat."""
    if holder.host == host:
        return _process_alive(holder.pid, holder.started)
    return heartbeat_age(path) < STALE_S


def _held_message(holder: LockHolder, host: str, path: Path, output: Path, name: str) -> str:
    where = ("" if holder.host == host else
             f" Its lock was last renewed {heartbeat_age(path):.0f} s ago: a run that renews it no "
             f"more for {STALE_S:.0f} s is taken for dead and its lock taken over (or delete "
             f"{path} if that run is known to be gone from {holder.host}).")
    return (f"{name} {output} is being written by another run ({holder.describe()}): wait for it "
            f"to finish or cancel it, or choose another output.{where}")


def _take_over_stale(path: Path, stale: Optional[LockHolder]) -> None:
    """Remove the stale lock at ``path`` unless another run is taking it over or took it."""
    guard = path.with_name(path.name + ".takeover")
    if not _create_exclusive(guard, str(os.getpid())):
        if _age(guard) > _BEING_WRITTEN_S:  # left by a run killed while taking over
            guard.unlink(missing_ok=True)
        return
    try:
        if _read_holder(path) == stale:
            path.unlink(missing_ok=True)
    finally:
        guard.unlink(missing_ok=True)
