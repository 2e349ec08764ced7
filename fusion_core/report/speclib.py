"""The report's sample spectra as a spectral library that EnMAP-Box and QGIS open.

A GeoPackage of points beside the report (``<report>.spectra.gpkg``): one point per sample
pixel, at the centre of its pixel of the result in the result's CRS, with the pixel's row and
column in the result and in the LR-HSI, and three profile fields — the fused spectrum, the
LR-HSI's and the HR-MSI's (divided by the gains) — each a JSON field in EnMAP-Box's profile
convention, ``{"y": values, "x": wavelengths, "xUnit": "nm"}`` (no ``x`` when the bands have no
wavelengths: EnMAP-Box then plots them by band number). EnMAP-Box takes a text or JSON field
for spectral profiles when its editor widget is *SpectralProfile*; the layer's default style,
stored in the GeoPackage's ``layer_styles`` table as QGIS stores styles itself, says so, so
the file needs no ``.qml`` beside it. Written with GDAL's own bindings (every QGIS has them).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional, Sequence, Union

import numpy as np

from ..io.raster import RasterGrid, atomic_output

__all__ = ["LAYER", "PROFILE_FIELDS", "spectral_library_path", "profile", "write_spectral_library"]

#: A spectrum or its wavelengths.
Values = Union[Sequence[float], np.ndarray]
#: The GeoPackage layer holding the points.
LAYER = "sample_spectra"
#: The profile fields, each named as the sample's spectrum it holds (:func:`~.samples.sample_spectra`).
PROFILE_FIELDS = ("fused", "lr_hsi", "hr_msi")
_PIXEL_FIELDS = ("row", "col", "lr_row", "lr_col")
_GEOMETRY = "geom"
#: The text columns of the ``layer_styles`` table QGIS reads a GeoPackage layer's default style from.
_STYLE_COLUMNS = ("f_table_catalog", "f_table_schema", "f_table_name", "f_geometry_column", "styleName",
                  "styleQML", "styleSLD", "description", "owner", "ui")


def spectral_library_path(report: str | Path) -> Path:
    """Where the spectral library of a report goes: beside it, ``<name>.spectra.gpkg``."""
    return Path(report).with_suffix(".spectra.gpkg")


def profile(values: Values, x: Optional[Values] = None) -> str:
    """One spectrum as EnMAP-Box's profile JSON: ``y`` (7 significant digits, a float32's
    precision) and, given, ``x`` in nanometres."""
    content: dict = {"y": [float(f"{v:.7g}") for v in values]}
    if x is not None:
        content.update(x=[float(f"{v:.7g}") for v in x], xUnit="nm")
    return json.dumps(content)


def _style_qml() -> str:
    """A QGIS style setting the profile fields' editor widget to *SpectralProfile*."""
    fields = "".join(f'<field name="{name}"><editWidget type="SpectralProfile"><config><Option/></config>'
                     "</editWidget></field>" for name in PROFILE_FIELDS)
    return f'<qgis styleCategories="Fields|Forms"><fieldConfiguration>{fields}</fieldConfiguration></qgis>'


def write_spectral_library(path: str | Path, samples: list[dict], grid: RasterGrid,
                           hsi_wavelengths: Optional[Values], msi_centres: Optional[Values]) -> None:
    """Write ``samples`` (:func:`~.samples.sample_spectra`: pixels counted in the scene) at
    ``path``, on the result's ``grid``, atomically.

    Raises:
        OSError: GDAL cannot write the file; the message is GDAL's.
    """
    from osgeo import gdal, ogr, osr

    with atomic_output(path) as tmp:
        ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(tmp))
        if ds is None:
            raise OSError(f"Cannot write {path}: {gdal.GetLastErrorMsg()}")
        srs = None
        if grid.crs is not None:
            srs = osr.SpatialReference()
            srs.ImportFromWkt(grid.crs.to_wkt())
            srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)  # x east, y north
        layer = ds.CreateLayer(LAYER, srs, ogr.wkbPoint, [f"GEOMETRY_NAME={_GEOMETRY}"])
        layer.CreateField(ogr.FieldDefn("sample", ogr.OFTInteger))
        for name in _PIXEL_FIELDS:
            layer.CreateField(ogr.FieldDefn(name, ogr.OFTInteger))
        for name in PROFILE_FIELDS:
            field = ogr.FieldDefn(name, ogr.OFTString)
            field.SetSubType(ogr.OFSTJSON)
            layer.CreateField(field)
        for number, sample in enumerate(samples, start=1):
            lr_row, lr_col = sample["lr_pixel"]
            row, col = sample["hr_pixel"]
            feature = ogr.Feature(layer.GetLayerDefn())
            feature.SetField("sample", number)
            for name, value in zip(_PIXEL_FIELDS, (row, col, lr_row, lr_col)):
                feature.SetField(name, int(value))
            for name in PROFILE_FIELDS:
                feature.SetField(name, profile(sample[name], msi_centres if name == "hr_msi" else hsi_wavelengths))
            x, y = grid.transform * (col + 0.5, row + 0.5)
            point = ogr.Geometry(ogr.wkbPoint)
            point.AddPoint_2D(float(x), float(y))
            feature.SetGeometry(point)
            layer.CreateFeature(feature)
        _add_default_style(ds, ogr)
        del ds  # closes the file before it is renamed


def _add_default_style(ds, ogr) -> None:
    """The ``layer_styles`` table with :func:`_style_qml` as the layer's default style."""
    table = ds.CreateLayer("layer_styles", None, ogr.wkbNone)
    for name in _STYLE_COLUMNS:
        table.CreateField(ogr.FieldDefn(name, ogr.OFTString))
    default = ogr.FieldDefn("useAsDefault", ogr.OFTInteger)
    default.SetSubType(ogr.OFSTBoolean)
    table.CreateField(default)
    table.CreateField(ogr.FieldDefn("update_time", ogr.OFTDateTime))  # QGIS orders by it; left empty
    row = ogr.Feature(table.GetLayerDefn())
    values = {"f_table_catalog": "", "f_table_schema": "", "f_table_name": LAYER, "f_geometry_column": _GEOMETRY,
              "styleName": LAYER, "styleQML": _style_qml(), "styleSLD": "", "owner": "", "ui": "",
              "description": "spectral profile fields for EnMAP-Box"}
    for name, value in values.items():
        row.SetField(name, value)
    row.SetField("useAsDefault", 1)
    table.CreateFeature(row)
