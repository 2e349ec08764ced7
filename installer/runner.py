"""Running an :class:`~.plan.InstallPlan`: pip in child processes, with progress and cancel.

Steps, each reported through ``on_progress(percent, message)``: pip is there (0 %), what QGIS's
Python has is listed and pinned (3 %), pip downloads and installs what is missing under a
temporary prefix (5-90 %), the torch build is checked and the packages move into the target
(95 %), done (100 %). Every line pip prints goes to ``on_line`` for a log view. A cancelled or
failed install leaves the target as it was.
"""

from __future__ import annotations

import os
import queue
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .interpreter import NO_WINDOW
from .plan import InstallError, InstallPlan, check_build, constraints, site_folders, staged_packages

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
        with proc.stdout:
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
    """Install ``plan``'s missing packages into its target folder; never raises for pip's failures."""
    log: list[str] = []
    env = plan.environment(os.environ)
    try:
        on_progress(0.0, f"Checking pip of {plan.python}")
        if _run(plan.check_pip_command(), env, log, on_line, is_cancelled) != 0:
            raise InstallError(
                f"QGIS's Python ({plan.python}) has no pip. On Debian/Ubuntu: sudo apt install "
                "python3-pip; on Windows (OSGeo4W): add the python3-pip package in the OSGeo4W setup.")
        on_progress(3.0, "Listing what QGIS's Python has (kept as it is)")
        listed: list[str] = []
        if _run(plan.list_installed_command(), env, listed, lambda line: None, is_cancelled) != 0:
            raise InstallError(_failure("Listing QGIS's packages", listed))
        with tempfile.TemporaryDirectory() as tmp:
            pins = Path(tmp) / "qgis-has.txt"
            pins.write_text(constraints("\n".join(listed)), encoding="utf-8")
            staging = Path(tmp) / "staging"
            on_progress(5.0, "Finding and downloading what is missing")
            if _run(plan.install_command(staging, pins), env, log, _counting_progress(on_line, on_progress),
                    is_cancelled) != 0:
                raise InstallError(_failure("Installing the packages", log))
            installed = staged_packages(staging)
            if not installed:
                on_progress(100.0, "Nothing to install")
                return InstallResult(True, f"Everything is installed already ({plan.target}).", [], log)
            check_build(plan, installed)
            on_progress(95.0, "Moving the packages into the profile folder")
            _move_into(staging, plan.target)
    except _CancelledError:
        return InstallResult(False, "Cancelled: nothing was installed.", [], log)
    except InstallError as exc:
        return InstallResult(False, str(exc), [], log)
    names = [f"{r.name} {r.version}" for r in installed]
    on_progress(100.0, "Done")
    return InstallResult(True, f"Installed {_count(names)} into {plan.target}: {', '.join(names)}.",
                         names, log)


def _move_into(staging: Path, target: Path) -> None:
    """Move the packages pip put under ``staging`` (:func:`~.plan.site_folders`) into ``target``,
    replacing older copies."""
    target.mkdir(parents=True, exist_ok=True)
    for site in site_folders(staging):
        for item in site.iterdir():
            destination = target / item.name
            if destination.is_dir() and not destination.is_symlink():
                shutil.rmtree(destination)
            elif destination.exists() or destination.is_symlink():
                destination.unlink()
            shutil.move(str(item), str(destination))


def _counting_progress(on_line: LineCallback, on_progress: ProgressCallback) -> LineCallback:
    """A line callback passing lines on and moving the progress from 5 towards 90 % as pip
    collects each distribution (how many there will be is known only at the end)."""
    done = [0]

    def seen(line: str) -> None:
        on_line(line)
        if line.startswith(("Collecting ", "Processing ")):
            done[0] += 1
            what = line.split(" ", 1)[1].strip()
            on_progress(5.0 + 85.0 * (1.0 - 0.85 ** done[0]), f"Downloading {what} ({done[0]})")
        elif line.startswith("Installing collected packages"):
            on_progress(90.0, "Installing")

    return seen
