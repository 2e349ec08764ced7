"""Run ``hsifusion`` algorithms through the real QGIS Processing framework (``qgis_process``).

Used by ``make demo`` and by the tests. Debian's ``qgis_process`` wrapper injects a flag that
3.22 rejects, so the binary ``qgis_process.bin`` is called directly, headless, with the plugin
found through ``QGIS_PLUGINPATH`` (``build/plugins/hsi_fusion`` links to this checkout).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any, Optional

REPO = Path(__file__).resolve().parent.parent
PLUGIN_ROOT = REPO / "build" / "plugins"


class QgisProcessError(RuntimeError):
    """qgis_process exited with an error; the message holds what it printed."""


def qgis_process_binary() -> str:
    found = shutil.which("qgis_process.bin") or shutil.which("qgis_process")
    if found is None:
        raise QgisProcessError("qgis_process is not installed: run 'make setup'.")
    return found


def environment() -> dict[str, str]:
    """The environment of a headless run that finds this checkout's plugin."""
    link = PLUGIN_ROOT / "hsi_fusion"
    if not link.exists():
        PLUGIN_ROOT.mkdir(parents=True, exist_ok=True)
        link.symlink_to(REPO, target_is_directory=True)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", QGIS_PLUGINPATH=str(PLUGIN_ROOT))
    env.setdefault("XDG_RUNTIME_DIR", "/tmp/runtime-" + str(os.getuid()))
    return env


def enable_plugin() -> None:
    """Enable the plugin in the QGIS profile used by qgis_process (idempotent)."""
    subprocess.run([qgis_process_binary(), "plugins", "enable", "hsi_fusion"],
                   env=environment(), capture_output=True, text=True, check=False)


def _arguments(params: dict[str, Any]) -> list[str]:
    args = []
    for key, value in params.items():
        if value is None:
            continue
        args.append(f"{key}={value}")
    return args


def run_algorithm(algorithm: str, params: dict[str, Any], stream: bool = False,
                  timeout: Optional[float] = None) -> dict[str, Any]:
    """Run ``algorithm`` with ``params``; return its results dictionary.

    With ``stream`` the run's log and progress go to the terminal as they happen (the demo);
    otherwise they are captured and included in the error message on failure (the tests).
    """
    if stream:
        cmd = [qgis_process_binary(), "run", algorithm, "--"] + _arguments(params)
        proc = subprocess.Popen(cmd, env=environment(), stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if not line.startswith(("QStandardPaths", "<string>")):
                print("    " + line.rstrip(), flush=True)
        if proc.wait(timeout) != 0:
            raise QgisProcessError("".join(lines[-40:]))
        return _parse_plain_results(lines)
    cmd = [qgis_process_binary(), "--json", "run", algorithm, "--"] + _arguments(params)
    proc = subprocess.run(cmd, env=environment(), capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise QgisProcessError(
            f"{algorithm} failed (exit {proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    start = proc.stdout.find("{")
    return json.loads(proc.stdout[start:])["results"]


def run_failing(algorithm: str, params: dict[str, Any]) -> str:
    """Run an algorithm expected to fail; return everything it printed."""
    cmd = [qgis_process_binary(), "run", algorithm, "--"] + _arguments(params)
    proc = subprocess.run(cmd, env=environment(), capture_output=True, text=True)
    if proc.returncode == 0:
        raise AssertionError(f"{algorithm} succeeded but was expected to fail:\n{proc.stdout}")
    return proc.stdout + proc.stderr


def _parse_plain_results(lines: list[str]) -> dict[str, Any]:
    """Parse the 'Results' block of qgis_process's plain output (KEY:\\tvalue lines)."""
    results: dict[str, Any] = {}
    in_results = False
    for line in lines:
        if line.strip().startswith("Results"):
            in_results = True
            continue
        if in_results and ":\t" in line:
            key, value = line.rstrip("\n").split(":\t", 1)
            results[key.strip()] = value.strip()
    return results
