"""The scenes of a batch: pairs from a CSV file or from two globs, each with its own request.

A CSV file has a header with the columns ``lr_hsi`` and ``hr_msi`` and, optionally, ``name``,
``output`` and any other field of :class:`~fusion_core.request.FusionRequest` by its Python name
(``degradation``, ``sensor``, ``msi_bands`` …), which overrides the batch's setting for that
scene; relative paths are read from the CSV's folder. Two globs (``data/*_enmap.tif`` and
``data/*_s2.tif``) pair the files whose wildcards match the same text (``*`` → the scene's
name). A scene's output is ``<folder>/<name>_fused.tif`` and its report
``<folder>/<name>_report.html`` unless the CSV gives an output.

A row or a file that cannot make a scene (a bad value, an LR-HSI without its HR-MSI) becomes a
scene with a ``problem``, listed with the batch's failures; only a list that cannot be read at
all, or two scenes writing one output, stops the batch before it starts.
"""

from __future__ import annotations

import csv
import dataclasses
import glob
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from ..errors import FusionError, InputError
from ..request import FusionRequest, param_of, request_fields

__all__ = ["Scene", "scenes_from_csv", "scenes_from_globs", "PATH_KINDS"]

#: Request fields that are paths (read relative to a CSV file's folder).
PATH_KINDS = ("raster_in", "raster_out", "file_in", "file_out")
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")


@dataclass(frozen=True)
class Scene:
    """One pair of a batch.

    Attributes:
        name: the scene's name (its outputs are named after it).
        request: the scene's fusion request; None when it could not be made.
        problem: why the scene cannot run (empty when it can).
    """

    name: str
    request: Optional[FusionRequest]
    problem: str = ""


def _value(name: str, text: str, folder: Path) -> Any:
    """A CSV cell as the request field ``name`` takes it."""
    kind = param_of(name).kind
    text = text.strip()
    if kind in PATH_KINDS:
        return str(folder / text) if text and not Path(text).is_absolute() and "://" not in text \
            and not text.startswith("/vsi") else (text or None)
    if kind == "integer":
        return int(text)
    if kind == "number":
        return float(text)
    if kind == "boolean":
        if text.lower() not in _TRUE + _FALSE:
            raise InputError(f"{name} must be true or false, got {text!r}.")
        return text.lower() in _TRUE
    return text


def _scene(name: str, base: FusionRequest, folder: Path, report: bool, **given: Any) -> Scene:
    """The scene ``name`` with ``given`` request fields, its output and report in ``folder``."""
    given.setdefault("output", str(folder / f"{name}_fused.tif"))
    if report:
        given["report"] = str(Path(given["output"]).with_name(f"{name}_report.html"))
    try:
        return Scene(name, dataclasses.replace(base, **given))
    except (FusionError, ValueError, TypeError) as exc:
        return Scene(name, None, str(exc))


def _unique(scenes: list[Scene]) -> list[Scene]:
    """``scenes``, refused when two of them write one output."""
    seen: dict[str, str] = {}
    for scene in scenes:
        if scene.request is None:
            continue
        out = str(Path(scene.request.output).resolve())
        if out in seen:
            raise InputError(f"The scenes {seen[out]!r} and {scene.name!r} would both write "
                             f"{scene.request.output}: give them different names or outputs.")
        seen[out] = scene.name
    return scenes


def scenes_from_csv(path: str, folder: str, base: FusionRequest, report: bool = True) -> list[Scene]:
    """The scenes listed in the CSV file ``path``, written to ``folder``, with ``base``'s settings.

    Raises:
        InputError: the file cannot be read, lacks ``lr_hsi``/``hr_msi`` columns or has a column
            that is not a request field, or two scenes write one output.
    """
    known = {name for name, _ in request_fields()} | {"name"}
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = list(csv.DictReader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"Cannot read the list of pairs {path}: {exc}.") from None
    columns = set(rows[0]) if rows else set()
    if not {"lr_hsi", "hr_msi"} <= columns:
        raise InputError(f"The list of pairs {path} needs a header with the columns lr_hsi and "
                         f"hr_msi (and optionally name, output and other request fields), and rows.")
    unknown = sorted(columns - known)
    if unknown:
        raise InputError(f"The list of pairs {path} has column(s) {', '.join(unknown)} that are not "
                         f"request fields: rename or remove them (fields: {', '.join(sorted(known))}).")
    here, out = Path(path).resolve().parent, Path(folder)
    scenes = []
    for k, row in enumerate(rows, start=2):
        name = (row.get("name") or "").strip() or Path(row["lr_hsi"].strip()).stem or f"line{k}"
        try:
            given = {key: _value(key, text or "", here) for key, text in row.items()
                     if key != "name" and (text or "").strip()}
        except (InputError, ValueError) as exc:
            scenes.append(Scene(name, None, f"line {k} of {path}: {exc}"))
            continue
        scenes.append(_scene(name, base, out, report, **given))
    return _unique(scenes)


def _pattern(glob_pattern: str) -> re.Pattern:
    """A regular expression of ``glob_pattern`` whose groups are what its wildcards match."""
    parts = []
    for token in re.split(r"(\*|\?|\[[^\]]*\])", glob_pattern):
        if token == "*":
            parts.append(r"([^/]*)")
        elif token == "?":
            parts.append(r"([^/])")
        elif token.startswith("[") and token.endswith("]") and len(token) > 2:
            parts.append("(" + token.replace("[!", "[^") + ")")
        else:
            parts.append(re.escape(token))
    return re.compile("".join(parts) + r"/?\Z")


def _by_key(glob_pattern: str) -> dict[str, str]:
    """The paths ``glob_pattern`` matches, by the text of its wildcards."""
    pattern = _pattern(glob_pattern)
    found = {}
    for path in sorted(glob.glob(glob_pattern)):
        match = pattern.match(path)
        if match is not None:
            found["_".join(match.groups()) or Path(path).stem] = path
    return found


def scenes_from_globs(lr_glob: str, hr_glob: str, folder: str, base: FusionRequest,
                      report: bool = True) -> list[Scene]:
    """The pairs of ``lr_glob`` and ``hr_glob`` whose wildcards match the same text, written to
    ``folder``, with ``base``'s settings; a file without its partner is a scene with a problem.

    Raises:
        InputError: a glob matches nothing.
    """
    lr, hr = _by_key(lr_glob), _by_key(hr_glob)
    for what, pattern, found in (("LR-HSI", lr_glob, lr), ("HR-MSI", hr_glob, hr)):
        if not found:
            raise InputError(f"The {what} pattern {pattern!r} matches no file: check it (quote it "
                             "so that the shell does not expand it).")
    scenes = []
    for key in sorted(lr.keys() | hr.keys()):
        if key not in hr:
            scenes.append(Scene(key, None, f"no HR-MSI of {hr_glob!r} matches {lr[key]}"))
        elif key not in lr:
            scenes.append(Scene(key, None, f"no LR-HSI of {lr_glob!r} matches {hr[key]}"))
        else:
            scenes.append(_scene(key, base, Path(folder), report, lr_hsi=lr[key], hr_msi=hr[key]))
    return _unique(scenes)
