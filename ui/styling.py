"""Results load styled: bands chosen from the wavelengths, a 2–98 % stretch, nodata transparent.

:func:`style_spectral_layer` styles a raster layer by the rule of
:func:`fusion_core.io.display.rgb_bands` (true colour when the bands cover it). Algorithms call
:func:`style_when_loaded` on a raster output: when Processing will load that output (the dialog,
``processing.runAndLoadResults``, the batch interface) a layer post-processor styles it as it is
added to the project.
"""

from __future__ import annotations

from qgis.core import (
    QgsContrastEnhancement,
    QgsMultiBandColorRenderer,
    QgsProcessingContext,
    QgsProcessingFeedback,
    QgsProcessingLayerPostProcessorInterface,
    QgsRasterLayer,
    QgsRasterMinMaxOrigin,
    QgsRectangle,
    QgsSingleBandGrayRenderer,
)

from ..fusion_core.io import read_raster_info
from ..fusion_core.io.display import DisplayBands, rgb_bands

CUMULATIVE_CUT = (0.02, 0.98)
SAMPLE_SIZE = 250_000  # pixels QGIS samples to estimate the percentiles of a band

__all__ = ["CUMULATIVE_CUT", "style_spectral_layer", "style_when_loaded"]


def style_spectral_layer(layer: QgsRasterLayer) -> DisplayBands:
    """Show ``layer`` in RGB from its wavelengths, stretched between its 2 and 98 % percentiles.

    Pixels that are nodata (the file's nodata value, or NaN) in a shown band stay transparent.
    Returns the bands chosen and the rule that chose them.
    """
    info = read_raster_info(layer.source())
    bands = rgb_bands(info.wavelengths, layer.bandCount())
    provider = layer.dataProvider()
    for band in {bands.red, bands.green, bands.blue}:
        provider.setUseSourceNoDataValue(band, True)
    if bands.grey:
        renderer = QgsSingleBandGrayRenderer(provider, bands.red)
    else:
        renderer = QgsMultiBandColorRenderer(provider, bands.red, bands.green, bands.blue)
    origin = QgsRasterMinMaxOrigin()
    origin.setLimits(QgsRasterMinMaxOrigin.limitsFromString("CumulativeCut"))
    origin.setCumulativeCutLower(CUMULATIVE_CUT[0])
    origin.setCumulativeCutUpper(CUMULATIVE_CUT[1])
    origin.setStatAccuracy(QgsRasterMinMaxOrigin.statAccuracyFromString("Estimated"))
    renderer.setMinMaxOrigin(origin)
    layer.setRenderer(renderer)
    layer.setContrastEnhancement(
        QgsContrastEnhancement.ContrastEnhancementAlgorithm.StretchToMinimumMaximum,
        origin.limits(), QgsRectangle(), SAMPLE_SIZE)
    layer.triggerRepaint()
    return bands


class SpectralStylePostProcessor(QgsProcessingLayerPostProcessorInterface):
    """Styles a raster result when Processing adds it to the project."""

    def postProcessLayer(self, layer, context: QgsProcessingContext,  # noqa: N802 (QGIS API)
                         feedback: QgsProcessingFeedback) -> None:
        if isinstance(layer, QgsRasterLayer) and layer.isValid():
            bands = style_spectral_layer(layer)
            feedback.pushInfo(f"{layer.name()}: red, green, blue = bands {bands.red}, "
                              f"{bands.green}, {bands.blue} ({bands.rule}), 2–98 % stretch.")


# Processing holds post-processors as plain pointers: a Python reference keeps each one alive
# until the output it styles is loaded (one per output path, replaced by the next run's).
_POST_PROCESSORS: dict[str, SpectralStylePostProcessor] = {}


def style_when_loaded(context: QgsProcessingContext, output: str) -> None:
    """Have ``output`` styled by :func:`style_spectral_layer` if Processing will load it."""
    if not context.willLoadLayerOnCompletion(output):
        return
    processor = SpectralStylePostProcessor()
    _POST_PROCESSORS[output] = processor
    context.layerToLoadOnCompletionDetails(output).setPostProcessor(processor)
