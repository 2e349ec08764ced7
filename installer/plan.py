"""What to install, where, and the pip command line that does it.

Packages go into ``<profile>/python/hsi_fusion_deps``, a folder of the QGIS profile the plugin
puts on ``sys.path`` at load time: no administrator rights, nothing of QGIS's own Python touched,
removed with the profile. Nothing QGIS's Python already has (numpy, GDAL, PyQt, pandas …) is
installed again: pip runs in QGIS's own environment with every distribution found there pinned
to its installed version (a constraints file), so the resolver counts them as satisfied and
never replaces one; a requirement that would need another version of one fails with pip's
reason instead. pip installs under a temporary ``--prefix`` (any pip from 20.3 on: no
``--dry-run --report``, which needs pip 22.2), and only what it put there moves into the folder.

The torch build follows the user's choice, never the platform's default: Linux's PyPI torch is
the CUDA build (~4.6 GB with its NVIDIA libraries), Windows' and macOS's are CPU builds, and
PyTorch's own indexes serve the other variants. Intel Macs have no torch the engine can use.
"""

from __future__ import annotations

import os
import platform as platform_module
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional

from .requirements import ENGINE_REQUIREMENTS, MIN_TORCH

BUILDS = ("cpu", "cuda")
TORCH_INDEX = "https://download.pytorch.org/whl/"
CUDA_TAG = "cu126"  # PyTorch's CUDA 12.6 builds: NVIDIA drivers from 525 on
PIP_OPTIONS = ("--no-input", "--disable-pip-version-check")
#: Run with QGIS's interpreter: its distributions (and those of the target folder on PYTHONPATH)
#: as ``name==version`` lines, the constraints that keep pip from replacing any of them.
LIST_INSTALLED = (
    "import importlib.metadata as m\n"
    "seen = {}\n"
    "for d in m.distributions():\n"
    "    name = d.metadata['Name']\n"
    "    if name and d.version and name.lower() not in seen:\n"
    "        seen[name.lower()] = name + '==' + d.version\n"
    "print('\\n'.join(sorted(seen.values())))\n"
)


class InstallError(Exception):
    """The install cannot go ahead or failed; the message says why and what to do."""


def dependencies_folder(profile_dir: Path) -> Path:
    """The per-profile folder the packages go into (``<profile>/python/hsi_fusion_deps``)."""
    return Path(profile_dir) / "python" / "hsi_fusion_deps"


@dataclass(frozen=True)
class InstallChoice:
    """What the user chose: the torch build (``"cpu"`` or ``"cuda"``), the packages, and a
    folder of wheels to install from instead of the internet (offline sites)."""

    build: str = "cpu"
    requirements: tuple[str, ...] = ENGINE_REQUIREMENTS
    wheels: Optional[Path] = None


@dataclass(frozen=True)
class Resolved:
    """One distribution pip installed: its name and version."""

    name: str
    version: str


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

    def list_installed_command(self) -> list[str]:
        """QGIS's interpreter printing what its environment has, one ``name==version`` a line."""
        return [str(self.python), "-c", LIST_INSTALLED]

    def install_command(self, staging: Path, constraints: Path) -> list[str]:
        """Install what is missing under ``staging``, everything already there pinned."""
        return (self._pip() + ["install", "--prefix", str(staging), "--constraint", str(constraints),
                               "--no-warn-script-location", "--progress-bar", "off", *PIP_OPTIONS]
                + list(self.index_options) + list(self.requirements))

    def environment(self, base: Mapping[str, str]) -> dict[str, str]:
        """``base`` with the target folder first on PYTHONPATH, so earlier installs count."""
        env = dict(base)
        env["PYTHONPATH"] = os.pathsep.join([str(self.target)] + [p for p in [env.get("PYTHONPATH")] if p])
        return env


def constraints(listed: str) -> str:
    """The constraints file of :data:`LIST_INSTALLED`'s output (lines that are not pins dropped)."""
    pins = [line.strip() for line in listed.splitlines()
            if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*==[A-Za-z0-9.+!_-]+", line.strip())]
    return "".join(f"{pin}\n" for pin in pins)


def torch_index_options(build: str, platform: str, machine: str = "") -> tuple[str, ...]:
    """pip options that make torch resolve to the chosen build on ``platform`` (sys.platform)."""
    if build not in BUILDS:
        raise InstallError(f"Unknown torch build {build!r}: choose one of {', '.join(BUILDS)}.")
    if platform == "darwin":
        if build == "cuda":
            raise InstallError("PyTorch has no CUDA build for macOS: choose the CPU build.")
        if machine == "x86_64":
            raise InstallError(
                f"PyTorch publishes no build for Intel Macs after 2.2.2, and HSI Fusion needs torch "
                f"{MIN_TORCH} or later, so it cannot run on this Mac. It runs on Apple silicon Macs "
                "(M1 and later), Windows and Linux.")
        return ()
    if platform.startswith("linux"):
        return ("--extra-index-url", TORCH_INDEX + "cpu") if build == "cpu" else ()
    return ("--extra-index-url", TORCH_INDEX + CUDA_TAG) if build == "cuda" else ()


def make_plan(choice: InstallChoice, python: Path, profile_dir: Path, platform: str = sys.platform,
              machine: str = platform_module.machine()) -> InstallPlan:
    """The plan for ``choice`` with interpreter ``python`` into the profile at ``profile_dir``.

    With ``choice.wheels`` pip reads only that folder (``--no-index --find-links``): an offline
    site downloads the wheels elsewhere (``pip wheel``, same Python version and OS; pyrsr comes only as source) first.
    """
    index = torch_index_options(choice.build, platform, machine)
    if choice.wheels is not None:
        if not Path(choice.wheels).is_dir():
            raise InstallError(f"The wheel folder {choice.wheels} does not exist.")
        index = ("--no-index", "--find-links", str(choice.wheels))
    return InstallPlan(Path(python), dependencies_folder(profile_dir), tuple(choice.requirements),
                       index, choice.build, platform)


def site_folders(staging: Path) -> list[Path]:
    """The folders under ``staging`` pip installed packages into (wherever the platform's scheme
    puts them): those holding ``*.dist-info`` folders, less any inside another — a package's
    vendored copies (setuptools' ``_vendor``) are part of it, not installed on their own."""
    holding = {info.parent for info in staging.rglob("*.dist-info")}
    return sorted(site for site in holding if not any(other in site.parents for other in holding))


def staged_packages(staging: Path) -> list[Resolved]:
    """The distributions pip installed under ``staging`` (their ``*.dist-info`` folders)."""
    found = []
    for info in sorted(info for site in site_folders(staging) for info in site.glob("*.dist-info")):
        name, _, version = info.name[: -len(".dist-info")].partition("-")
        found.append(Resolved(name, version))
    return found


def check_build(plan: InstallPlan, installed: list[Resolved]) -> None:
    """Refuse an install whose torch is not the build chosen.

    The CPU choice must not bring NVIDIA libraries or a ``+cu`` torch (pip falls back to PyPI's
    CUDA build on Linux when PyTorch's CPU index cannot be reached); the CUDA choice on Windows
    must get a ``+cu`` torch from PyTorch's CUDA index.

    Raises:
        InstallError: the message names what pip picked and why.
    """
    torch = next((r for r in installed if r.name.lower() == "torch"), None)
    nvidia = sorted(r.name for r in installed if r.name.lower().startswith("nvidia"))
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
