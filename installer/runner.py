"""Running an :class:`~.plan.InstallPlan`: pip in child processes, with progress and cancel.

Four steps, each reported through ``on_progress(percent, message)``: pip is there (0 %), pip's
dry run lists what is missing (5-20 %), the files are downloaded and installed one after the
other (20-95 %), done (100 %). Every line pip prints goes to ``on_line`` for a log view. pip
installs into a temporary folder and moves the packages into the target only at the end, so a
cancelled or failed install leaves the target as it was.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .interpreter import NO_WINDOW
from .plan import InstallError, InstallPlan, Resolved, resolved_packages

ProgressCallback = Callable[[float, str], None]
LineCallback = Callable[[str], None]


@dataclass
class InstallResult:
    """How the install ended: ``ok``, a message for the user, what went in, pip's output."""

    ok: bool
    message: str
    installed: list[str] = field(default_factory=list)
    log: list[str] = field(default_factory=list)


class _CancelledError(Exception):
    pass


def _run(command: list[str], env: dict[str, str], log: list[str], on_line: LineCallback,
         is_cancelled: Callable[[], bool]) -> int:
    """Run ``command``, passing each output line on as it comes; kill it when cancelled."""
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, text=True, errors="replace", creationflags=NO_WINDOW)
    lines: queue.Queue = queue.Queue()

    def pump() -> None:  # a thread, so that cancel works while pip prints nothing (a long download)
        for line in proc.stdout:
            lines.put(line)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    while reader.is_alive() or not lines.empty():
        if is_cancelled():
            proc.kill()
            proc.wait()
            raise _CancelledError
        try:
            line = lines.get(timeout=0.2).rstrip("\n")
        except queue.Empty:
            continue
        log.append(line)
        on_line(line)
    return proc.wait()


def _count(names: list[str]) -> str:
    return f"{len(names)} package" + ("" if len(names) == 1 else "s")


def _failure(what: str, log: list[str]) -> str:
    tail = "\n".join(line for line in log[-15:] if line.strip())
    return f"{what} failed; pip said:\n{tail}"


def run_install(plan: InstallPlan, on_progress: ProgressCallback,
                on_line: LineCallback = lambda line: None,
                is_cancelled: Callable[[], bool] = lambda: False) -> InstallResult:
    """Install ``plan``'s packages into its target folder; never raises for pip's failures."""
    log: list[str] = []
    env = plan.environment(os.environ)
    try:
        on_progress(0.0, f"Checking pip of {plan.python}")
        if _run(plan.check_pip_command(), env, log, on_line, is_cancelled) != 0:
            raise InstallError(
                f"QGIS's Python ({plan.python}) has no pip. On Debian/Ubuntu: sudo apt install "
                "python3-pip; on Windows (OSGeo4W): add the python3-pip package in the OSGeo4W setup.")
        on_progress(5.0, "Finding what is missing (pip dry run)")
        with tempfile.TemporaryDirectory() as tmp:
            report = Path(tmp) / "report.json"
            if _run(plan.resolve_command(report), env, log, on_line, is_cancelled) != 0:
                raise InstallError(_failure("Resolving the packages", log))
            resolved = resolved_packages(plan, json.loads(report.read_text(encoding="utf-8")))
        if not resolved:
            on_progress(100.0, "Nothing to install")
            return InstallResult(True, f"Everything is installed already ({plan.target}).", [], log)
        names = [f"{r.name} {r.version}" for r in resolved]
        on_progress(20.0, f"Installing {_count(names)}: {', '.join(names)}")
        count = _counting_progress(resolved, on_progress)

        def log_and_count(line: str) -> None:
            on_line(line)
            count(line)

        plan.target.mkdir(parents=True, exist_ok=True)
        if _run(plan.install_command(resolved), env, log, log_and_count, is_cancelled) != 0:
            raise InstallError(_failure("Installing the packages", log))
    except _CancelledError:
        return InstallResult(False, "Cancelled: nothing was installed.", [], log)
    except InstallError as exc:
        return InstallResult(False, str(exc), [], log)
    on_progress(100.0, "Done")
    return InstallResult(True, f"Installed {_count(names)} into {plan.target}: {', '.join(names)}.",
                         names, log)


def _counting_progress(resolved: list[Resolved], on_progress: ProgressCallback) -> LineCallback:
    """A line callback moving the progress from 20 to 95 % as pip starts each file."""
    done = [0]

    def seen(line: str) -> None:
        if line.startswith(("Collecting ", "Processing ")):
            done[0] += 1
            item = resolved[min(done[0], len(resolved)) - 1]
            on_progress(20.0 + 75.0 * (done[0] - 1) / len(resolved),
                        f"Downloading {item.name} {item.version} ({done[0]}/{len(resolved)})")
        elif line.startswith("Installing collected packages"):
            on_progress(95.0, "Installing into the profile folder")

    return seen
