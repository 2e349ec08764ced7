"""The Dependencies dialog: installs what the engine needs with QGIS's Python into the profile.

A thin Qt face of :mod:`installer`: the user picks the torch build (CPU, or CUDA for an NVIDIA
GPU), the install runs in a thread with a progress bar and pip's log, and ends with a clear
result. :class:`InstallOffer` opens it when an algorithm finds torch missing.
"""

from __future__ import annotations

import importlib
import sys
from typing import Optional

from qgis.PyQt.QtCore import QObject, QThread, pyqtSignal
from qgis.PyQt.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from ..engine_path import add_engine_site_packages, current_plan, profile_dir, torch_import_error
from ..installer import MIN_TORCH, InstallError, InstallPlan, InstallResult, dependencies_folder, run_install

TITLE = "HSI Fusion dependencies"


class InstallThread(QThread):
    """Runs :func:`installer.run_install` off the main thread, reporting through signals."""

    progressed = pyqtSignal(float, str)
    printed = pyqtSignal(str)

    def __init__(self, plan: InstallPlan, parent: Optional[QObject] = None) -> None:
        super().__init__(parent)
        self.plan = plan
        self.cancelled = False
        self.result: Optional[InstallResult] = None

    def run(self) -> None:  # noqa: D102 (QThread API)
        self.result = run_install(self.plan, self.progressed.emit, self.printed.emit, lambda: self.cancelled)


def engine_status() -> str:
    """One line: whether torch imports now, and which version."""
    problem = torch_import_error()
    if problem:
        return f"PyTorch is not installed for QGIS's Python ({problem})."
    import torch

    return f"PyTorch {torch.__version__} is installed (CUDA GPU usable: {torch.cuda.is_available()})."


class DependenciesDialog(QDialog):
    """Choose the torch build, install, watch progress, read the result."""

    def __init__(self, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(TITLE)
        self.thread: Optional[InstallThread] = None
        profile = profile_dir()
        folder = dependencies_folder(profile) if profile else "the QGIS profile"
        intro = QLabel(
            f"HSI Fusion runs on PyTorch ({MIN_TORCH} or later), rasterio, scikit-image, pyrsr and "
            f"Dask. This installs those QGIS's Python lacks, with QGIS's own Python, into {folder} "
            "(no administrator rights; about 1 GB for the CPU build, 4-5 GB for CUDA); what QGIS "
            "already has is kept.")
        intro.setWordWrap(True)
        self.status = QLabel(engine_status())
        self.cpu = QRadioButton("CPU build (any computer)")
        self.cuda = QRadioButton("CUDA build (NVIDIA GPU with a recent driver)")
        self.cpu.setChecked(True)
        self.cuda.setEnabled(sys.platform != "darwin")
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.step = QLabel("")
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(2000)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.install_button = self.buttons.addButton("Install", QDialogButtonBox.ButtonRole.AcceptRole)
        self.install_button.clicked.connect(self.start)
        self.buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        for widget in (intro, self.status, self.cpu, self.cuda, self.progress, self.step, self.log,
                       self.buttons):
            layout.addWidget(widget)
        self.resize(640, 480)

    def start(self) -> None:
        """Build the plan for the chosen build and run it in a thread."""
        try:
            plan = current_plan("cuda" if self.cuda.isChecked() else "cpu")
        except InstallError as exc:
            QMessageBox.critical(self, TITLE, str(exc))
            return
        self.log.appendPlainText(f"Python: {plan.python}\nInto: {plan.target}\n")
        self.install_button.setEnabled(False)
        self.thread = InstallThread(plan, self)
        self.thread.progressed.connect(self.show_progress)
        self.thread.printed.connect(self.log.appendPlainText)
        self.thread.finished.connect(self.finish)
        self.thread.start()

    def show_progress(self, percent: float, message: str) -> None:
        self.progress.setValue(int(percent))
        self.step.setText(message)

    def finish(self) -> None:
        """Make the new packages importable now and say how it ended."""
        result = self.thread.result
        self.install_button.setEnabled(True)
        if result is not None and result.ok:
            add_engine_site_packages()
            importlib.invalidate_caches()
        self.status.setText(engine_status())
        message = result.message if result else "The install stopped unexpectedly: see the log."
        if result is not None and result.ok:
            QMessageBox.information(self, TITLE, f"{message}\n\n{engine_status()}")
        else:
            QMessageBox.critical(self, TITLE, message)

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        """Closing during an install cancels it (pip leaves the folder as it was)."""
        if self.thread is not None and self.thread.isRunning():
            self.thread.finished.disconnect(self.finish)
            self.thread.cancelled = True
            self.thread.wait()
        super().closeEvent(event)


class InstallOffer(QObject):
    """Offers the dialog, once a session, when an algorithm finds torch missing.

    Algorithms run in worker threads: calling the offer emits a signal, and the question is asked
    on the thread this object lives in (the main one).
    """

    requested = pyqtSignal(str)

    def __init__(self, window: Optional[QWidget]) -> None:
        super().__init__()
        self.window = window
        self.asked = False
        self.requested.connect(self.ask)

    def __call__(self, message: str) -> None:
        self.requested.emit(message)

    def ask(self, message: str) -> None:
        if self.asked:
            return
        self.asked = True
        answer = QMessageBox.question(self.window, TITLE, f"{message}\n\nInstall the dependencies now?")
        if answer == QMessageBox.StandardButton.Yes:
            DependenciesDialog(self.window).exec()
