"""hsifusion:installdependencies — install the engine's packages into the QGIS profile.

The Processing face of :mod:`installer` (the Dependencies dialog is the other): in the Toolbox
with progress and cancel, and headless on a server with
``qgis_process run hsifusion:installdependencies``. Unlike the other algorithms it runs without
the engine, which it installs.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from qgis.core import (
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingOutputString,
)

from ..engine_path import add_engine_site_packages, current_plan
from ..fusion_core.interrupt import signals_as_cancel
from ..fusion_core.params import Caller, Request, param
from ..installer import BUILDS, MIN_TORCH, InstallError, run_install
from .base import FusionAlgorithm


@dataclass(frozen=True)
class InstallRequest(Request):
    """What to install: the PyTorch build, and where from when offline."""

    build: str = param(BUILDS[0], key="BUILD", label="PyTorch build",
                       help="The PyTorch build, CPU (about 1 GB) or CUDA for an NVIDIA GPU (4-5 GB; "
                            "not on macOS).", kind="enum", choices=BUILDS,
                       choice_labels=("CPU (any computer)", "CUDA (NVIDIA GPU with a recent driver)"))
    wheels: Optional[str] = param(
        None, key="WHEELS", label="Folder of wheels (offline install)",
        help="For sites without internet, a folder of wheels to install from instead (made "
             "elsewhere with 'pip wheel' for the same Python version and OS).",
        kind="folder_in", optional=True)
    caller: Caller = field(default="python", compare=False)


class InstallDependencies(FusionAlgorithm):
    ID = "installdependencies"
    LABEL = "Install dependencies"
    GROUP = "setup"
    HELP = (
        f"Installs the Python packages HSI Fusion needs and this QGIS's Python lacks (PyTorch "
        f"{MIN_TORCH} or later, rasterio, scikit-image, pyrsr, Dask …) into this QGIS profile's "
        "folder python/hsi_fusion_deps, with QGIS's own Python and pip: no administrator rights, "
        "and nothing QGIS already has (numpy, GDAL, PyQt, SciPy …) is replaced. Run it once; "
        "the other algorithms work right after it.<br>"
        "On a server: qgis_process run hsifusion:installdependencies -- BUILD=0<br>"
    )
    REQUEST = InstallRequest

    def initAlgorithm(self, config=None):  # noqa: N802
        super().initAlgorithm(config)
        self.addOutput(QgsProcessingOutputString("MESSAGE", "What was installed"))

    def _process(self, parameters: dict[str, Any], context: QgsProcessingContext,
                 feedback: QgsProcessingFeedback) -> dict[str, Any]:
        request = self.request(parameters, context)
        try:
            plan = current_plan(request.build, wheels=Path(request.wheels) if request.wheels else None)
        except InstallError as exc:
            raise QgsProcessingException(str(exc)) from None
        feedback.pushInfo(f"Python: {plan.python}\nInto: {plan.target}")

        def progress(percent: float, message: str) -> None:
            feedback.setProgress(percent)
            feedback.setProgressText(message)

        with signals_as_cancel() as signal_received:
            result = run_install(plan, progress, feedback.pushConsoleInfo,
                                 lambda: feedback.isCanceled() or bool(signal_received()))
        if not result.ok:
            raise QgsProcessingException(result.message)
        add_engine_site_packages()
        importlib.invalidate_caches()
        feedback.pushInfo(result.message)
        return {"MESSAGE": result.message}
