"""A thin base for the plugin's algorithms: ids, help, engine check, progress and errors.

Each algorithm subclasses :class:`FusionAlgorithm`, sets ``ID``, ``LABEL``, ``GROUP`` and
``HELP``, declares parameters in ``initAlgorithm`` and implements :meth:`run`. The base turns
engine errors into :class:`QgsProcessingException` messages, adapts
``QgsProcessingFeedback`` to :class:`fusion_core.progress.Progress`, and refuses to start with a
fix-it command when torch is not importable.
"""

from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsProcessingAlgorithm,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFile,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
)
from qgis.PyQt.QtCore import QCoreApplication

from ..engine_path import missing_engine_message
from ..fusion_core.errors import Cancelled, FusionError
from ..fusion_core.progress import Progress
from ..fusion_core.srf.catalog import SENSOR_PRESETS

GROUPS = {"fusion": "Fusion", "degradation": "Degradation model", "evaluation": "Evaluation"}


class FusionAlgorithm(QgsProcessingAlgorithm):
    """Shared plumbing of the ``hsifusion`` algorithms."""

    ID = ""
    LABEL = ""
    GROUP = "fusion"
    HELP = ""

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
        return self.tr(self.HELP)

    def createInstance(self):  # noqa: N802
        return type(self)()

    def processAlgorithm(self, parameters: dict[str, Any], context: QgsProcessingContext,  # noqa: N802
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

        progress = Progress(report, feedback.isCanceled, feedback.pushInfo)
        try:
            return self.run(parameters, context, feedback, progress)
        except Cancelled as exc:
            raise QgsProcessingException(str(exc)) from None
        except FusionError as exc:
            raise QgsProcessingException(str(exc)) from None

    def run(self, parameters: dict[str, Any], context: QgsProcessingContext,
            feedback: QgsProcessingFeedback, progress: Progress) -> dict[str, Any]:
        raise NotImplementedError

    # Parameter helpers shared by several algorithms -------------------------------------------

    def raster_path(self, parameters, name: str, context) -> str:
        layer = self.parameterAsRasterLayer(parameters, name, context)
        if layer is None:
            raise QgsProcessingException(self.tr("{name}: no raster layer given.").format(name=name))
        return layer.source()

    @staticmethod
    def advanced(parameter: QgsProcessingParameterDefinition) -> QgsProcessingParameterDefinition:
        parameter.setFlags(parameter.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
        return parameter

    def add_pair_parameters(self) -> None:
        """LR_HSI and HR_MSI, the two inputs of estimation and fusion."""
        self.addParameter(QgsProcessingParameterRasterLayer(
            "LR_HSI", self.tr("Low-resolution hyperspectral image")))
        self.addParameter(QgsProcessingParameterRasterLayer(
            "HR_MSI", self.tr("High-resolution multispectral image")))

    def pair_paths(self, parameters, context) -> tuple[str, str]:
        """File paths of the LR_HSI and HR_MSI layers."""
        return (self.raster_path(parameters, "LR_HSI", context),
                self.raster_path(parameters, "HR_MSI", context))

    def add_srf_parameters(self, required_help: str) -> None:
        """SENSOR (preset), SRF_FILE (CSV) and MSI_BANDS (band names to pick from the table)."""
        self.addParameter(QgsProcessingParameterEnum(
            "SENSOR", self.tr("HR-MSI sensor SRF preset ({help})").format(help=required_help),
            options=[label for _, label in SENSOR_PRESETS], optional=True, defaultValue=None))
        self.addParameter(QgsProcessingParameterFile(
            "SRF_FILE", self.tr("HR-MSI SRF CSV file ({help})").format(help=required_help),
            extension="csv", optional=True))
        self.addParameter(QgsProcessingParameterString(
            "MSI_BANDS", self.tr("SRF bands in HR-MSI band order, comma separated (e.g. B2,B3,B4,B8)"),
            optional=True))

    def srf_source(self, parameters, context):
        from ..fusion_core.pipeline import SrfSource

        sensor = None
        if parameters.get("SENSOR") is not None:
            index = self.parameterAsEnum(parameters, "SENSOR", context)
            sensor = SENSOR_PRESETS[index][0]
        csv_path = self.parameterAsFile(parameters, "SRF_FILE", context) or None
        bands_text = self.parameterAsString(parameters, "MSI_BANDS", context)
        bands = [b.strip() for b in bands_text.split(",") if b.strip()] or None
        return SrfSource(sensor, csv_path, bands)
