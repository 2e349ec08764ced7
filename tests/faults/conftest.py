"""Fixtures of the fault battery: tiny input pairs in a folder of their own that every test checks
is left byte for byte as it was, small file systems that fill up, and helpers to run the command
line in a child process (to signal or kill it)."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Optional

import pytest

REPO = Path(__file__).resolve().parents[2]


def folder_digest(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder``, by relative path (new files show as new keys)."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@dataclass
class Inputs:
    """A simulated LR-HSI / HR-MSI pair and its true degradation model in ``folder`` (inputs
    only), and the truth behind them."""

    folder: Path
    lr: Path
    hr: Path
    reference: Path
    model: Path
    pair: object  # tests/conftest.py SimulatedPair


@pytest.fixture
def input_pair(tmp_rasters, tmp_path) -> Iterator[Callable[..., Inputs]]:
    """Factory: ``input_pair(size=32)``, a ``size``×``size`` (HR) pair with 12 bands at ratio 4
    in ``tmp_path/inputs``. After the test, that folder must hold exactly the same bytes (no
    input written to, no sidecar file beside them)."""
    folder = tmp_path / "inputs"
    made: list[dict] = []

    def make(size: int = 32) -> Inputs:
        pair = tmp_rasters(size=size, n_hsi=12, n_msi=4, snr_db=40)
        folder.mkdir()
        for name in ("lr_path", "hr_path", "reference_path"):
            moved = folder / getattr(pair, name).name
            getattr(pair, name).rename(moved)
            setattr(pair, name, moved)
        pair.model.save(folder / "model.json")
        made.append(folder_digest(folder))
        return Inputs(folder, pair.lr_path, pair.hr_path, pair.reference_path,
                      folder / "model.json", pair)

    yield make
    if made:
        assert folder_digest(folder) == made[0], "the input folder changed"


@pytest.fixture
def inputs(input_pair) -> Inputs:
    """A 32×32 (HR) pair: see :func:`input_pair`."""
    return input_pair()


@pytest.fixture
def small_disk(tmp_path) -> Callable[[int], Path]:
    """Factory: a tmpfs of ``kib`` KiB mounted in ``tmp_path`` (unmounted after the test); skips
    where mounting is not allowed (not root)."""
    mounted: list[Path] = []

    def make(kib: int) -> Path:
        point = tmp_path / f"disk{len(mounted)}"
        point.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={kib}k", "tmpfs", str(point)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a small tmpfs here ({done.stderr.strip()}): needs root")
        mounted.append(point)
        return point

    yield make
    for point in mounted:
        subprocess.run(["umount", "-l", str(point)], check=False)


def fill(folder: Path) -> Path:
    """Fill the disk of ``folder`` up (a file of its whole free space); returns that file."""
    filler = folder / f"filler-{uuid.uuid4().hex[:6]}"
    with open(filler, "wb", buffering=0) as f:
        for size in (65536, 4096, 1):
            try:
                while True:
                    f.write(b"\0" * size)
            except OSError:
                pass
    return filler


def cli(*args: str) -> list[str]:
    """The command line of ``python -m fusion_core args…`` from this checkout."""
    return [sys.executable, "-m", "fusion_core", *args]


def start(command: list[str], **kwargs) -> subprocess.Popen:
    """Start ``command`` in the repository, its output captured."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kwargs)


def wait_for(condition: Callable[[], bool], process: subprocess.Popen, timeout: float = 300.0
             ) -> None:
    """Poll ``condition`` until it holds; fail when ``process`` ends first or time runs out."""
    t0 = time.monotonic()
    while not condition():
        if process.poll() is not None:
            out, err = process.communicate()
            pytest.fail(f"the run ended (exit {process.returncode}) before the expected moment:"
                        f"\n{out}\n{err}")
        if time.monotonic() - t0 > timeout:
            process.kill()
            pytest.fail("the expected moment never came")
        time.sleep(0.05)


def signal_and_wait(process: subprocess.Popen, signum: int, timeout: float = 30.0
                    ) -> tuple[int, str, float]:
    """Send ``signum``; returns the exit status, what the process printed and the seconds it took
    to end."""
    t0 = time.monotonic()
    process.send_signal(signum)
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail(f"still running {timeout:.0f} s after {signal.Signals(signum).name}")
    return process.returncode, (out or "") + (err or ""), time.monotonic() - t0


#: What a finished run leaves beside fused.tif: the image and its default report (HTML, JSON and
#: its sample spectra).
FUSED_AND_REPORT = ["fused.tif", "fused_report.html", "fused_report.json", "fused_report.spectra.gpkg"]


def leftovers(folder: Path, keep: Optional[set[str]] = None) -> list[str]:
    """Names in ``folder`` that are not ``keep``."""
    return sorted(p.name for p in folder.iterdir() if p.name not in (keep or set()))
