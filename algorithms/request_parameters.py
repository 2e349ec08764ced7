"""QGIS Processing parameters generated from a request's fields, for any request class.

A job's request (:class:`fusion_core.request.FusionRequest`, those of
:mod:`fusion_core.job_requests`, the plugin's install) declares each setting once (key, label,
help, kind, default, range: :class:`fusion_core.params.Param`); this module turns those
declarations into ``QgsProcessingParameter*`` objects, the values a user chose back into a
request, and the request's outputs into the algorithm's results, so the dialog, the help and the
engine can never disagree. It is one of the two modules that construct QGIS parameters (the
other, :mod:`.product_input`, is the LR_HSI/HR_MSI parameter's class).
"""

from __future__ import annotations

from typing import Any, Optional, Sequence, TypeVar

from qgis.core import (
    QgsProcessingException,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
)

from ..fusion_core.params import OUTPUT_KINDS, Param, Request
from .product_input import ProductInputParameter, input_source
from .qgis_compat import ADVANCED, DOUBLE, FOLDER, INTEGER

__all__ = ["request_parameters", "request_from_parameters", "request_help", "request_results",
           "skipped_outputs"]

R = TypeVar("R", bound=Request)


def _parameter(request_class: type[Request], name: str, spec: Param) -> QgsProcessingParameterDefinition:
    default = request_class.default_of(name)
    if spec.kind == "raster_in":
        layer = ProductInputParameter if spec.product else QgsProcessingParameterRasterLayer
        param = layer(spec.key, spec.label, optional=spec.optional)
    elif spec.kind == "raster_out":
        param = QgsProcessingParameterRasterDestination(
            spec.key, spec.label, optional=spec.optional,
            createByDefault=not spec.optional or spec.create_by_default)
    elif spec.kind == "file_in":
        param = QgsProcessingParameterFile(spec.key, spec.label, extension=spec.extension,
                                           optional=spec.optional)
    elif spec.kind == "folder_in":
        param = QgsProcessingParameterFile(spec.key, spec.label, behavior=FOLDER, optional=spec.optional)
    elif spec.kind == "file_out":
        patterns = " ".join(f"*.{extension}" for extension in spec.extensions)
        param = QgsProcessingParameterFileDestination(
            spec.key, spec.label, f"{spec.extensions[0].upper()} files ({patterns})",
            optional=spec.optional, createByDefault=not spec.optional or spec.create_by_default)
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


def _chosen(request_class: type[Request], only: Optional[Sequence[str]]) -> list[tuple[str, Param]]:
    return [(n, s) for n, s in request_class.fields() if only is None or n in only]


def request_parameters(request_class: type[Request], only: Optional[Sequence[str]] = None
                       ) -> list[QgsProcessingParameterDefinition]:
    """The parameters of the request's fields (all, or ``only`` these): inputs and settings
    first, then outputs, as QGIS lays them out."""
    chosen = _chosen(request_class, only)
    ordered = ([c for c in chosen if c[1].kind not in OUTPUT_KINDS]
               + [c for c in chosen if c[1].kind in OUTPUT_KINDS])
    return [_parameter(request_class, name, spec) for name, spec in ordered]


def _raster_in(alg, parameters: dict, context, spec: Param) -> str:
    if spec.product:
        source = input_source(alg, parameters, spec.key, context)
    else:
        layer = alg.parameterAsRasterLayer(parameters, spec.key, context)
        source = layer.source() if layer is not None else ""
    if not source and not spec.optional:
        given = "raster layer or product" if spec.product else "raster layer"
        raise QgsProcessingException(f"{spec.key}: no {given} given.")
    return source


def _value(alg, parameters: dict, context, spec: Param) -> Any:
    key = spec.key
    if spec.kind == "raster_in":
        return _raster_in(alg, parameters, context, spec)
    if spec.kind == "raster_out":
        path = alg.parameterAsOutputLayer(parameters, key, context)
        return (path or None) if spec.optional else path
    if spec.kind in ("file_in", "folder_in"):
        return alg.parameterAsFile(parameters, key, context) or None
    if spec.kind == "file_out" and spec.beside_output:
        # Written by default (None) unless the caller names it with an empty value: "no file".
        return None if key not in parameters else alg.parameterAsFileOutput(parameters, key, context) or ""
    if spec.kind == "file_out":
        path = alg.parameterAsFileOutput(parameters, key, context)
        return (path or None) if spec.optional else path
    if spec.optional and spec.kind in ("enum", "integer", "number") and parameters.get(key) in (None, ""):
        return None
    if spec.kind == "enum":
        return spec.choices[alg.parameterAsEnum(parameters, key, context)]
    if spec.kind == "integer":
        return alg.parameterAsInt(parameters, key, context)
    if spec.kind == "number":
        return alg.parameterAsDouble(parameters, key, context)
    if spec.kind == "boolean":
        return alg.parameterAsBool(parameters, key, context)
    return alg.parameterAsString(parameters, key, context)


def request_from_parameters(alg, parameters: dict, context, request_class: type[R],
                            only: Optional[Sequence[str]] = None) -> R:
    """The request of the values chosen in the dialog (or given to ``processing.run`` or
    qgis_process); fields not in ``only`` keep their defaults."""
    values = {name: _value(alg, parameters, context, spec) for name, spec in _chosen(request_class, only)}
    return request_class(caller="qgis", **values)  # type: ignore[call-arg]


def skipped_outputs(parameters: dict, request_class: type[Request],
                    only: Optional[Sequence[str]] = None) -> dict:
    """The dialog's ``parameters`` (:meth:`preprocessParameters`) with the outputs written by
    default beside OUTPUT that the user skipped (the dialog leaves them out) turned off."""
    off = {spec.key: "" for _, spec in _chosen(request_class, only)
           if spec.beside_output and spec.key not in parameters}
    return {**parameters, **off}


def request_help(request_class: type[Request], only: Optional[Sequence[str]] = None) -> str:
    """``<b>KEY</b>: help`` lines of the request's fields, for ``shortHelpString``."""
    return "<br>".join(f"<b>{spec.key}</b>: {spec.help}" for _, spec in _chosen(request_class, only))


def request_results(request: Request, only: Optional[Sequence[str]] = None) -> dict[str, Optional[str]]:
    """The algorithm's results: the path of every output field of the request (all, or ``only``
    these) by its key (None: not written)."""
    return {spec.key: getattr(request, name) or None for name, spec in _chosen(type(request), only)
            if spec.kind in OUTPUT_KINDS}
