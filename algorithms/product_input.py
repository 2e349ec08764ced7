"""The LR_HSI / HR_MSI parameters: a project layer, or a product as delivered.

QGIS's raster layer parameter only takes what QGIS can load as one layer from an existing file:
``QgsProcessingAlgorithm.checkParameterValues`` (called by ``processing.run``, ``qgis_process``,
the dialog and the batch dialog) refuses anything else with "Could not load source layer for
LR_HSI: … not found" before this plugin's code runs — a ``/vsizip/`` path, a ZIP or folder
holding a product, ``MTD_MSIL2A.xml``, a GDAL subdataset string (``SENTINEL2_L2A:…``,
``HDF5:"…"://…``) or a ``.he5``. And where QGIS does load a ZIP as a layer, the layer's source
is one raster inside it, not the product.

:class:`ProductInputParameter` keeps the raster layer parameter (its name, its layer combo box
with file picker and drag-and-drop, its place in the modeler) but accepts any text as well;
:func:`input_source` turns the value back into what the engine's product readers open
(:func:`fusion_core.products.open_input`): a layer's source, or the text as the user gave it,
which the readers accept or refuse with an :class:`~fusion_core.errors.InputError` naming a fix.
"""

from __future__ import annotations

from typing import Any, Optional

from qgis.core import (
    QgsMapLayer,
    QgsProcessingContext,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterRasterLayer,
    QgsProcessingUtils,
    QgsProperty,
    QgsProviderRegistry,
)

from .qgis_compat import OPTIONAL

__all__ = ["ProductInputParameter", "input_source", "PRODUCT_FILTER", "PRODUCT_HELP"]

#: The file picker's first filter: what products are delivered as, besides any raster.
PRODUCT_FILTER = ("Delivered products and rasters (*.zip *.ZIP *.xml *.XML *.he5 *.HE5 *.h5 *.H5 "
                  "*.tif *.TIF *.tiff *.TIFF *.vrt *.VRT *.img *.IMG *.bsq *.dat *.hdr)")

#: How each form of a product is given, for the algorithms' help.
PRODUCT_HELP = (
    "LR_HSI and HR_MSI take a layer of the project or a product as delivered: its ZIP, its "
    "metadata file (EnMAP …-METADATA.XML, Sentinel-2 MTD_MSIL2A.xml) or a PRISMA .he5, picked "
    "with the … button or dragged from the Browser; an unzipped product folder (…SAFE) through "
    "its metadata file, or given as the folder's path to processing.run, qgis_process or the "
    "command line, which also take /vsizip/ paths and GDAL subdataset names "
    "(SENTINEL2_L2A:…, HDF5:\"…\"://…).")


class ProductInputParameter(QgsProcessingParameterRasterLayer):
    """A raster layer parameter that also takes any non-empty text: a path, ZIP, folder or GDAL
    dataset name, checked by the product readers when the run starts."""

    def checkValueIsAcceptable(self, value: Any,  # noqa: N802
                               context: Optional[QgsProcessingContext] = None) -> bool:
        if isinstance(value, str) and value.strip():
            return True
        return super().checkValueIsAcceptable(value, context)

    def createFileFilter(self) -> str:  # noqa: N802
        return PRODUCT_FILTER + ";;" + QgsProviderRegistry.instance().fileRasterFilters()

    def clone(self) -> QgsProcessingParameterDefinition:
        copy = ProductInputParameter(self.name(), self.description(), self.defaultValue(),
                                     bool(self.flags() & OPTIONAL))
        copy.setFlags(self.flags())
        copy.setHelp(self.help())
        copy.setMetadata(self.metadata())
        return copy


def input_source(alg, parameters: dict, key: str, context: QgsProcessingContext) -> str:
    """What the engine opens for parameter ``key``: the source of a layer (given as a layer
    object, or by its id or name in the project), else the text as given ('' when none)."""
    value = parameters.get(key)
    if isinstance(value, QgsProperty):
        value = value.valueAsString(context.expressionContext())
    if isinstance(value, QgsMapLayer):
        return value.source()
    if isinstance(value, str):
        if not value.strip():
            return ""
        layer = QgsProcessingUtils.mapLayerFromString(value, context, False)
        return layer.source() if layer is not None else value
    layer = alg.parameterAsRasterLayer(parameters, key, context)  # the default, or another form
    return layer.source() if layer is not None else ""
