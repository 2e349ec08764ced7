"""A thin base for the plugin's algorithms: ids, help, engine check, progress and errors.

Each algorithm subclasses :class:`FusionAlgorithm`, sets ``ID``, ``LABEL``, ``GROUP``, ``HELP``
and ``REQUEST`` (the typed request its parameters, help and results are generated from: see
:mod:`.request_parameters`) and implements :meth:`execute` (not ``run``, which is
``QgsProcessingAlgorithm.run``, called by ``processing.run``). The base turns
engine errors into :class:`QgsProcessingException` messages, adapts
``QgsProcessingFeedback`` to :class:`fusion_core.progress.Progress` (SIGINT and SIGTERM to
``qgis_process`` cancel the run like the dialog's Cancel button), keeps GDAL from writing
sidecar files beside the inputs it loads (:mod:`.input_layers`), and refuses to start with a
fix-it command when torch is not importable. Raster outputs that Processing loads are styled
(:mod:`ui.styling`).
"""

from __future__ import annotations

from typing import Any, Optional

from qgis.core import (
    QgsProcessingAlgorithm,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingParameterRasterDestination,
)
from qgis.PyQt.QtCore import QCoreApplication

from ..engine_path import missing_engine_message
from ..fusion_core.errors import Cancelled, FusionError
from ..fusion_core.interrupt import signals_as_cancel
from ..fusion_core.params import Request
from ..fusion_core.progress import Progress
from .input_layers import no_gdal_sidecars
from .request_parameters import request_from_parameters, request_help, request_parameters

GROUPS = {"fusion": "Fusion", "degradation": "Degradation model", "evaluation": "Evaluation",
          "setup": "Setup"}


class FusionAlgorithm(QgsProcessingAlgorithm):
    """Shared plumbing of the ``hsifusion`` algorithms."""

    ID = ""
    LABEL = ""
    GROUP = "fusion"
    HELP = ""
    REQUEST: Optional[type[Request]] = None

    def tr(self, text: str) -> str:
        return QCoreApplication.translate("HsiFusion", text)

    def name(self) -> str:
        return self.ID

    def displayName(self) -> str:  # noqa: N802
        return self.tr(self.LABEL)

    def group(self) -> str:
        return self.tr(GROUPS[self.GROUP])

    def groupId(self) -> str:  # noqa: N802
        return self.GROUP

    def shortHelpString(self) -> str:  # noqa: N802
        return self.tr(self.HELP) + (request_help(self.REQUEST) if self.REQUEST else "")

    def initAlgorithm(self, config=None):  # noqa: N802
        """The parameters of ``REQUEST``'s fields."""
        for parameter in request_parameters(self.REQUEST) if self.REQUEST else ():
            self.addParameter(parameter)

    def request(self, parameters: dict[str, Any], context: QgsProcessingContext) -> Any:
        """The ``REQUEST`` of the values given."""
        assert self.REQUEST is not None
        return request_from_parameters(self, parameters, context, self.REQUEST)

    def createInstance(self):  # noqa: N802
        return type(self)()

    def checkParameterValues(self, parameters, context):  # noqa: N802
        with no_gdal_sidecars():  # the dialog loads inputs given as paths here
            return super().checkParameterValues(parameters, context)

    def processAlgorithm(self, parameters: dict[str, Any], context: QgsProcessingContext,  # noqa: N802
                         feedback: QgsProcessingFeedback) -> dict[str, Any]:
        with no_gdal_sidecars():
            return self._process(parameters, context, feedback)

    def _process(self, parameters: dict[str, Any], context: QgsProcessingContext,
                 feedback: QgsProcessingFeedback) -> dict[str, Any]:
        problem = missing_engine_message()
        if problem:
            raise QgsProcessingException(problem)

        last_message = [""]

        def report(percent: float, message: str) -> None:
            feedback.setProgress(percent)
            if message and message != last_message[0]:
                feedback.setProgressText(message)
                last_message[0] = message

        with signals_as_cancel() as signal_received:
            progress = Progress(report, lambda: feedback.isCanceled() or bool(signal_received()),
                                feedback.pushInfo)
            try:
                results = self.execute(parameters, context, feedback, progress)
            except Cancelled as exc:
                name = signal_received()
                text = str(exc).replace("Cancelled by the user", f"Stopped by {name}") if name else str(exc)
                raise QgsProcessingException(text) from None
            except FusionError as exc:
                raise QgsProcessingException(str(exc)) from None
        self.style_raster_outputs(results, context)
        return results

    def execute(self, parameters: dict[str, Any], context: QgsProcessingContext,
                feedback: QgsProcessingFeedback, progress: Progress) -> dict[str, Any]:
        """The algorithm's own work, with engine errors and cancelling handled by the base."""
        raise NotImplementedError

    def style_raster_outputs(self, results: dict[str, Any], context: QgsProcessingContext) -> None:
        """Raster outputs that Processing loads show RGB from wavelengths with a 2–98 % stretch."""
        from ..ui.styling import style_when_loaded

        for parameter in self.destinationParameterDefinitions():
            if isinstance(parameter, QgsProcessingParameterRasterDestination) and results.get(parameter.name()):
                style_when_loaded(context, results[parameter.name()])
