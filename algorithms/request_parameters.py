"""QGIS Processing parameters generated from :class:`fusion_core.request.FusionRequest` fields.

The request declares each setting once (key, label, help, kind, default, range); this module turns
those declarations into ``QgsProcessingParameter*`` objects and the values a user chose back into a
request, so the dialog, the help and the engine can never disagree.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any, Optional, Sequence

from qgis.core import (
    QgsProcessingException,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterString,
)

from ..fusion_core.request import OUTPUT_KINDS, FusionRequest, Param, request_fields
from .product_input import ProductInputParameter, input_source
from .qgis_compat import ADVANCED, DOUBLE, INTEGER

__all__ = ["request_parameters", "request_from_parameters", "request_help", "request_results",
           "skipped_outputs"]


def _default(name: str) -> Any:
    for f in fields(FusionRequest):
        if f.name == name:
            return f.default
    raise KeyError(name)


def _parameter(name: str, spec: Param) -> QgsProcessingParameterDefinition:
    default = _default(name)
    if spec.kind == "raster_in":
        param = ProductInputParameter(spec.key, spec.label, optional=spec.optional)
    elif spec.kind == "raster_out":
        param = QgsProcessingParameterRasterDestination(
            spec.key, spec.label, optional=spec.optional,
            createByDefault=not spec.optional or spec.create_by_default)
    elif spec.kind == "file_in":
        param = QgsProcessingParameterFile(spec.key, spec.label, extension=spec.extension,
                                           optional=spec.optional)
    elif spec.kind == "file_out":
        param = QgsProcessingParameterFileDestination(
            spec.key, spec.label, f"{spec.extension.upper()} files (*.{spec.extension})",
            optional=spec.optional, createByDefault=spec.create_by_default)
    elif spec.kind == "enum":
        index = spec.choices.index(default) if default in spec.choices else None
        param = QgsProcessingParameterEnum(spec.key, spec.label, options=list(spec.shown_choices),
                                           defaultValue=index, optional=spec.optional)
    elif spec.kind in ("integer", "number"):
        kind = INTEGER if spec.kind == "integer" else DOUBLE
        param = QgsProcessingParameterNumber(spec.key, spec.label, kind, defaultValue=default,
                                             optional=spec.optional)
        if spec.minimum is not None:
            param.setMinimum(spec.minimum)
        if spec.maximum is not None:
            param.setMaximum(spec.maximum)
    elif spec.kind == "boolean":
        param = QgsProcessingParameterBoolean(spec.key, spec.label, defaultValue=bool(default))
    else:
        param = QgsProcessingParameterString(
            spec.key, spec.label, defaultValue=default if isinstance(default, str) else "",
            optional=spec.optional)
    param.setHelp(spec.help)
    if spec.advanced:
        param.setFlags(param.flags() | ADVANCED)
    return param


def _chosen(only: Optional[Sequence[str]]) -> list[tuple[str, Param]]:
    return [(n, s) for n, s in request_fields() if only is None or n in only]


def request_parameters(only: Optional[Sequence[str]] = None) -> list[QgsProcessingParameterDefinition]:
    """The parameters of the request's fields (all, or ``only`` these): inputs and settings
    first, then outputs, as QGIS lays them out."""
    chosen = _chosen(only)
    ordered = ([c for c in chosen if c[1].kind not in OUTPUT_KINDS]
               + [c for c in chosen if c[1].kind in OUTPUT_KINDS])
    return [_parameter(name, spec) for name, spec in ordered]


def _value(alg, parameters: dict, context, name: str, spec: Param) -> Any:
    key = spec.key
    if spec.kind == "raster_in":
        source = input_source(alg, parameters, key, context)
        if not source and not spec.optional:
            raise QgsProcessingException(f"{key}: no raster layer or product given.")
        return source
    if spec.kind == "raster_out":
        path = alg.parameterAsOutputLayer(parameters, key, context)
        return (path or None) if spec.optional else path
    if spec.kind == "file_in":
        return alg.parameterAsFile(parameters, key, context) or None
    if spec.kind == "file_out" and spec.beside_output:
        # Written by default (None) unless the caller names it with an empty value: "no file".
        return None if key not in parameters else alg.parameterAsFileOutput(parameters, key, context) or ""
    if spec.kind == "file_out":
        return alg.parameterAsFileOutput(parameters, key, context) or None
    if spec.kind == "enum":
        if spec.optional and parameters.get(key) is None:
            return None
        return spec.choices[alg.parameterAsEnum(parameters, key, context)]
    if spec.kind == "integer":
        return alg.parameterAsInt(parameters, key, context)
    if spec.kind == "number":
        return alg.parameterAsDouble(parameters, key, context)
    if spec.kind == "boolean":
        return alg.parameterAsBool(parameters, key, context)
    return alg.parameterAsString(parameters, key, context)


def request_from_parameters(alg, parameters: dict, context,
                            only: Optional[Sequence[str]] = None) -> FusionRequest:
    """The :class:`FusionRequest` of the values chosen in the dialog (or given to
    ``processing.run``/qgis_process); fields not in ``only`` keep their defaults."""
    values = {name: _value(alg, parameters, context, name, spec) for name, spec in _chosen(only)}
    return FusionRequest(caller="qgis", **values)


def skipped_outputs(parameters: dict, only: Optional[Sequence[str]] = None) -> dict:
    """The dialog's ``parameters`` (:meth:`preprocessParameters`) with the outputs written by
    default beside OUTPUT that the user skipped (the dialog leaves them out) turned off."""
    off = {spec.key: "" for _, spec in _chosen(only) if spec.beside_output and spec.key not in parameters}
    return {**parameters, **off}


def request_help(only: Optional[Sequence[str]] = None) -> str:
    """``<b>KEY</b>: help`` lines of the request's fields, for ``shortHelpString``."""
    return "<br>".join(f"<b>{spec.key}</b>: {spec.help}" for _, spec in _chosen(only))


def request_results(request: FusionRequest, only: Optional[Sequence[str]] = None) -> dict[str, Optional[str]]:
    """The algorithm's results: the path of every output field of the request (all, or ``only``
    these) by its key (None: not written)."""
    return {spec.key: getattr(request, name) or None for name, spec in _chosen(only) if spec.kind in OUTPUT_KINDS}
