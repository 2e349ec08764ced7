"""What to install, where, and the pip command lines that do it.

Packages go into ``<profile>/python/hsi_fusion_deps``, a folder of the QGIS profile the plugin
puts on ``sys.path`` at load time: no administrator rights, nothing of QGIS's own Python touched,
removed with the profile. ``pip install --target`` alone would also copy in every dependency QGIS
already has (numpy, pandas), shadowing QGIS's builds, so the install is two steps: a dry run in
QGIS's own environment lists only what is missing (``--report``), then exactly those files are
installed into the folder with ``--no-deps``.

The torch build follows the user's choice, never the platform's default: Linux's PyPI torch is
the CUDA build (~4.6 GB with its NVIDIA libraries), Windows' and macOS's are CPU builds, and
PyTorch's own indexes serve the other variants.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

MIN_TORCH = "2.6"  # the oldest torch the engine's tests pass with (Debian 13's; README)
ENGINE_REQUIREMENTS = (f"torch>={MIN_TORCH}", "pyrsr", "dask[distributed]")
BUILDS = ("cpu", "cuda")
TORCH_INDEX = "https://download.pytorch.org/whl/"
CUDA_TAG = "cu126"  # PyTorch's CUDA 12.6 builds: NVIDIA drivers from 525 on
PIP_OPTIONS = ("--no-input", "--disable-pip-version-check")


class InstallError(Exception):
    """The install cannot go ahead or failed; the message says why and what to do."""


def dependencies_folder(profile_dir: Path) -> Path:
    """The per-profile folder the packages go into (``<profile>/python/hsi_fusion_deps``)."""
    return Path(profile_dir) / "python" / "hsi_fusion_deps"


@dataclass(frozen=True)
class InstallChoice:
    """What the user chose: the torch build (``"cpu"`` or ``"cuda"``) and the packages."""

    build: str = "cpu"
    requirements: tuple[str, ...] = ENGINE_REQUIREMENTS


@dataclass(frozen=True)
class Resolved:
    """One distribution pip's dry run would install: name, version and the file it chose."""

    name: str
    version: str
    url: str


@dataclass(frozen=True)
class InstallPlan:
    """Everything the runner needs: interpreter, target folder, packages and index options."""

    python: Path
    target: Path
    requirements: tuple[str, ...]
    index_options: tuple[str, ...]
    build: str
    platform: str

    def _pip(self) -> list[str]:
        return [str(self.python), "-m", "pip"]

    def check_pip_command(self) -> list[str]:
        return self._pip() + ["--version"]

    def resolve_command(self, report: Path) -> list[str]:
        """Dry run in QGIS's environment (plus the target folder): what is missing, as JSON."""
        return (self._pip() + ["install", "--dry-run", "--quiet", "--report", str(report), *PIP_OPTIONS]
                + list(self.index_options) + list(self.requirements))

    def install_command(self, resolved: list[Resolved]) -> list[str]:
        """Install exactly the resolved files into the target folder, nothing else."""
        return (self._pip() + ["install", "--target", str(self.target), "--no-deps", "--upgrade",
                               "--progress-bar", "off", *PIP_OPTIONS]
                + list(self.index_options) + [item.url for item in resolved])

    def environment(self, base: Mapping[str, str]) -> dict[str, str]:
        """``base`` with the target folder first on PYTHONPATH, so earlier installs count."""
        env = dict(base)
        env["PYTHONPATH"] = os.pathsep.join([str(self.target)] + [p for p in [env.get("PYTHONPATH")] if p])
        return env


def torch_index_options(build: str, platform: str) -> tuple[str, ...]:
    """pip options that make torch resolve to the chosen build on ``platform`` (sys.platform)."""
    if build not in BUILDS:
        raise InstallError(f"Unknown torch build {build!r}: choose one of {', '.join(BUILDS)}.")
    if platform == "darwin":
        if build == "cuda":
            raise InstallError("PyTorch has no CUDA build for macOS: choose the CPU build.")
        return ()
    if platform.startswith("linux"):
        return ("--extra-index-url", TORCH_INDEX + "cpu") if build == "cpu" else ()
    return ("--extra-index-url", TORCH_INDEX + CUDA_TAG) if build == "cuda" else ()


def make_plan(choice: InstallChoice, python: Path, profile_dir: Path,
              platform: str = sys.platform) -> InstallPlan:
    """The plan for ``choice`` with interpreter ``python`` into the profile at ``profile_dir``."""
    return InstallPlan(Path(python), dependencies_folder(profile_dir), tuple(choice.requirements),
                       torch_index_options(choice.build, platform), choice.build, platform)


def resolved_packages(plan: InstallPlan, report: Mapping[str, Any]) -> list[Resolved]:
    """The distributions of pip's ``--report``, refused when torch is not the build chosen.

    The CPU choice must not bring NVIDIA libraries or a ``+cu`` torch (pip falls back to PyPI's
    CUDA build on Linux when PyTorch's CPU index cannot be reached); the CUDA choice on Windows
    must get a ``+cu`` torch from PyTorch's CUDA index.
    """
    resolved = [Resolved(item["metadata"]["name"], item["metadata"]["version"],
                         item["download_info"]["url"]) for item in report.get("install", [])]
    torch = next((r for r in resolved if r.name.lower() == "torch"), None)
    nvidia = sorted(r.name for r in resolved if r.name.lower().startswith("nvidia-"))
    index = TORCH_INDEX + ("cpu" if plan.build == "cpu" else CUDA_TAG)
    if plan.build == "cpu" and (nvidia or (torch and "+cu" in torch.version)):
        raise InstallError(
            f"pip picked PyTorch's CUDA build (torch {torch.version if torch else '?'}, "
            f"{len(nvidia)} NVIDIA packages) although the CPU build was chosen: PyTorch's CPU index "
            f"{index} could not be reached. Check the internet connection (or proxy) and retry.")
    if plan.build == "cuda" and plan.platform == "win32" and torch and "+cu" not in torch.version:
        raise InstallError(
            f"pip picked torch {torch.version}, a CPU build, although CUDA was chosen: PyTorch's "
            f"CUDA index {index} could not be reached. Check the internet connection and retry.")
    return resolved
