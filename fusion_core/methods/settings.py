"""How a method declares its options, and the one function that checks a run's options.

A method's settings are a frozen dataclass whose fields are its options, each declared with
:func:`option` (help text and valid range; the type is the field's annotation), plus one
instance per preset (:data:`PRESETS`). :func:`resolve_settings` applies a run's options to a
preset and refuses, before any work, an unknown preset, an unknown option (listing the valid
ones) or a value of the wrong type or range (saying the range): a whole number must be an
``int`` (``1.5`` and ``"12"`` are refused, never rounded or parsed). :func:`describe_settings`
turns the declarations into help text. Imports neither torch nor a method, so the QGIS layer
can render the help before it knows whether torch is installed.
"""

from __future__ import annotations

import math
import typing
from dataclasses import MISSING, dataclass, field, fields, replace
from typing import Any, Mapping, Optional, Sequence, TypeVar

from ..errors import InputError

__all__ = ["PRESETS", "DEFAULT_PRESET", "option", "OptionHelp", "check_preset", "resolve_settings",
           "describe_settings", "NoOptions", "NO_OPTIONS"]

#: Preset names, in the order of the QGIS PRESET enum (frozen: append, never reorder).
PRESETS: tuple[str, ...] = ("fast", "paper")
DEFAULT_PRESET = PRESETS[0]

T = TypeVar("T")


@dataclass(frozen=True)
class _Range:
    """Valid values of a number (or of each number of a list)."""

    minimum: Optional[float] = None
    maximum: Optional[float] = None
    above: Optional[float] = None

    def holds(self, value: float) -> bool:
        return (not math.isnan(value)
                and (self.minimum is None or value >= self.minimum)
                and (self.maximum is None or value <= self.maximum)
                and (self.above is None or value > self.above))

    def text(self) -> str:
        if self.minimum is not None and self.maximum is not None:
            return f"from {self.minimum:g} to {self.maximum:g}"
        if self.above is not None:
            return f"> {self.above:g}"
        return f">= {self.minimum:g}" if self.minimum is not None else "of any value"


def option(help: str, *, minimum: Optional[float] = 0, maximum: Optional[float] = None,
           above: Optional[float] = None, default: Any = MISSING) -> Any:
    """Declare a settings field as an option.

    Args:
        help: what the option does, one sentence (shown in the QGIS help and the CLI).
        minimum, maximum: inclusive bounds of a number (or of each number of a list).
        above: exclusive lower bound (a rate must be > 0); replaces ``minimum``.
        default: the field's default, when the dataclass gives one.
    """
    bounds = _Range(None if above is not None else minimum, maximum, above)
    return field(default=default, metadata={"help": help, "range": bounds})


@dataclass(frozen=True)
class OptionHelp:
    """One option as the user sees it.

    Attributes:
        name: the option's name in ``METHOD_OPTIONS`` / ``--options``.
        kind: its valid values in words, e.g. ``"a whole number >= 0"``.
        defaults: its value in each preset, by preset name.
        help: what it does.
    """

    name: str
    kind: str
    defaults: Mapping[str, Any]
    help: str

    def text(self) -> str:
        """One line: ``name (kind; fast 100, paper 400): help``."""
        values = list(self.defaults.values())
        if all(v == values[0] for v in values):
            default = f"default {_shown(values[0])}"
        else:
            default = ", ".join(f"{p} {_shown(v)}" for p, v in self.defaults.items())
        return f"{self.name} ({self.kind}; {default}): {self.help}"


@dataclass(frozen=True)
class _Spec:
    """A declared option: its Python type, range and help."""

    name: str
    kind: type
    bounds: _Range
    help: str

    def describe(self) -> str:
        if self.kind is bool:
            return "true or false"
        if self.kind is tuple:
            return f"a list of whole numbers {self.bounds.text()}"
        noun = "a whole number" if self.kind is int else "a number"
        return f"{noun} {self.bounds.text()}"

    def check(self, value: Any, what: str) -> Any:
        """``value`` as the field holds it, or InputError saying what was expected."""
        if self.kind is bool:
            ok = isinstance(value, bool)
        elif self.kind is tuple:
            ok = (isinstance(value, Sequence) and not isinstance(value, str)
                  and all(_whole(v) and self.bounds.holds(v) for v in value))
            value = tuple(sorted(value)) if ok else value
        elif self.kind is int:
            ok = _whole(value) and self.bounds.holds(value)
        else:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and self.bounds.holds(value)
            value = float(value) if ok else value
        if not ok:
            raise InputError(f"{what} must be {self.describe()}, got {value!r}.")
        return value


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return "[" + ", ".join(map(str, value)) + "]"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _specs(settings_type: type) -> dict[str, _Spec]:
    """The declared options of a settings dataclass, by name, in declaration order."""
    hints = typing.get_type_hints(settings_type)
    specs = {}
    for f in fields(settings_type):
        hint = hints[f.name]
        kind = tuple if typing.get_origin(hint) is tuple else hint
        if kind not in (bool, int, float, tuple) or "help" not in f.metadata:
            raise TypeError(f"{settings_type.__name__}.{f.name} is not declared with option() "
                            "as a bool, int, float or tuple[int, ...].")
        specs[f.name] = _Spec(f.name, kind, f.metadata["range"], f.metadata["help"])
    return specs


def check_preset(preset: str) -> str:
    """``preset`` when it is one of :data:`PRESETS`; else InputError listing them."""
    if preset not in PRESETS:
        raise InputError(f"Unknown preset {preset!r}; choose one of {', '.join(PRESETS)}.")
    return preset


def resolve_settings(presets: Mapping[str, T], preset: str, options: Mapping[str, Any], method: str) -> T:
    """The settings of ``presets[preset]`` with the fields named in ``options`` replaced.

    Args:
        presets: the method's settings by preset name (every name of :data:`PRESETS`).
        preset: the run's preset.
        options: the run's options, e.g. ``{"cg_iters": 50}``.
        method: the method's name, for the messages.

    Raises:
        InputError: unknown preset, unknown option (the message lists the valid ones) or a value
            of the wrong type or range (the message says the valid range).
    """
    base = presets[check_preset(preset)]
    specs = _specs(type(base))
    unknown = sorted(set(options) - set(specs))
    if unknown and not specs:
        raise InputError(f"{method} takes no options; got {', '.join(map(str, unknown))}.")
    if unknown:
        raise InputError(f"Unknown {method} option(s) {', '.join(map(str, unknown))}; valid options are "
                         f"{', '.join(specs)}.")
    return replace(base, **{k: specs[k].check(v, f"{method} option {k}")  # type: ignore[type-var]
                            for k, v in options.items()})


def describe_settings(presets: Mapping[str, Any]) -> tuple[OptionHelp, ...]:
    """Help of every option of a method whose settings by preset name are ``presets``."""
    specs = _specs(type(presets[DEFAULT_PRESET]))
    return tuple(OptionHelp(s.name, s.describe(), {p: getattr(presets[p], s.name) for p in PRESETS}, s.help)
                 for s in specs.values())


@dataclass(frozen=True)
class NoOptions:
    """Settings of a method that takes no options."""


#: Presets of a method without options.
NO_OPTIONS: Mapping[str, NoOptions] = {name: NoOptions() for name in PRESETS}
