"""How a job's settings are declared once: :class:`Param` on each field of a typed request.

Every job (fuse, estimate, simulate, metrics, and the plugin's install) is one frozen dataclass
subclassing :class:`Request`, whose fields carry a :class:`Param` in their metadata (made with
:func:`param`): the QGIS key, label, help, kind, choices and range. The QGIS parameters and
results (``algorithms/request_parameters.py``), the command line's arguments (:mod:`.cli`) and
the messages (:meth:`Request.name_of`) are generated from those declarations, for any request
class. Nothing here is specific to one job; this module imports only the standard library.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields, replace
from typing import Any, Callable, Literal, Optional, TypeVar, cast

from .errors import InputError

__all__ = ["Param", "Kind", "Caller", "Request", "param", "shared", "INPUT_KINDS", "OUTPUT_KINDS"]

Caller = Literal["python", "qgis", "cli"]
Kind = Literal["raster_in", "raster_out", "file_in", "file_out", "folder_in", "enum", "integer",
               "number", "boolean", "text"]
#: The kinds of the files a job reads, and of those it writes: a field of an output kind is an
#: output (left out of the resume fingerprint and of the reduced-resolution run, locked and
#: checked before the job, returned by the QGIS algorithm) with nothing else to declare.
INPUT_KINDS: tuple[Kind, ...] = ("raster_in", "file_in", "folder_in")
OUTPUT_KINDS: tuple[Kind, ...] = ("raster_out", "file_out")

R = TypeVar("R", bound="Request")


@dataclass(frozen=True)
class Param:
    """How users see one request field.

    Attributes:
        key: the QGIS parameter name (frozen once released), e.g. ``"MAX_MEMORY_GB"``.
        label: the dialog's label.
        help: one or two sentences for the QGIS help and the CLI ``--help``.
        kind: the parameter's type, which picks the QGIS parameter class and the CLI's parsing.
        choices: for ``enum``: the stored values, in the frozen order of the QGIS enum.
        choice_labels: for ``enum``: what the dialog shows for each choice (default: the values).
        minimum, maximum: bounds of a number.
        advanced: shown under the dialog's advanced parameters.
        optional: may be left empty (no value: the field's default, usually None).
        extension: for files, the expected extension (``"json"``, ``"csv"``); an output that
            may have several lists them, the first being its default (``"txt md"``).
        cli: the command-line flag when it is not ``--`` + the field name with dashes; an empty
            string makes the field positional.
        on_cli: False for a setting of the QGIS algorithm only (what the plugin's own code does,
            such as drawing a plot), which the command line leaves out.
        product: for ``raster_in``: a product as delivered is accepted too (ZIP, folder,
            metadata file: what :func:`fusion_core.products.open_input` opens); False for a
            raster of the project or a raster file.
        parse: turns the text a user typed (QGIS string parameter, CLI argument) into the value.
        create_by_default: for an optional output, the QGIS dialog writes it (to a temporary
            file) unless the user unticks it.
        pixel_bytes: for a raster output beside the fused image, on its grid: its size per HR
            pixel before compression (the disk-space check before a run).
        beside_output: for an output written by default: the suffix of its name beside OUTPUT
            (``"_report.html"``: ``fused.tif`` → ``fused_report.html``) when it is not given
            (None). An empty value writes none: ``""`` or ``False`` in Python, an empty or None
            value in ``processing.run`` and qgis_process (a skipped output in the dialog),
            ``--no-`` + the flag on the command line.
    """

    key: str
    label: str
    help: str
    kind: Kind
    choices: tuple[str, ...] = ()
    choice_labels: tuple[str, ...] = ()
    minimum: Optional[float] = None
    maximum: Optional[float] = None
    advanced: bool = False
    optional: bool = False
    extension: str = ""
    cli: Optional[str] = None
    on_cli: bool = True
    product: bool = True
    parse: Optional[Callable[[str], Any]] = None
    create_by_default: bool = False
    pixel_bytes: int = 0
    beside_output: str = ""

    @property
    def shown_choices(self) -> tuple[str, ...]:
        return self.choice_labels or self.choices

    @property
    def extensions(self) -> tuple[str, ...]:
        return tuple(self.extension.split())


def param(default: Any, **spec: Any) -> Any:
    """A dataclass field with its :class:`Param` in the metadata (``factory=``: a default made
    per instance)."""
    factory = spec.pop("factory", None)
    meta = {"param": Param(**spec)}
    if factory is not None:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


def shared(request_class: type, name: str) -> Any:
    """A dataclass field declared as ``request_class``'s field ``name``: another job's request
    takes the same setting under the same key, flag, help and default."""
    for f in fields(request_class):
        if f.name == name:
            if f.default_factory is not MISSING:
                return field(default_factory=f.default_factory, metadata=f.metadata)
            return field(default=f.default, metadata=f.metadata)
    raise KeyError(name)


class Request:
    """What every request dataclass shares: its declarations, read per class, and naming a field
    in the caller's vocabulary. A subclass is a frozen dataclass of :func:`param` fields and a
    last field ``caller: Caller = field(default="python", compare=False)``."""

    caller: Caller

    # The declarations ---------------------------------------------------------------------------

    @classmethod
    def fields(cls) -> list[tuple[str, Param]]:
        """``(field name, Param)`` of every user-facing field, in declaration order."""
        return [(f.name, f.metadata["param"]) for f in fields(cast(Any, cls)) if "param" in f.metadata]

    @classmethod
    def fields_of_kind(cls, *kinds: Kind) -> tuple[str, ...]:
        """The names of the fields of ``kinds``, in declaration order (e.g.
        ``fields_of_kind(*OUTPUT_KINDS)``: every output the job may write)."""
        return tuple(name for name, spec in cls.fields() if spec.kind in kinds)

    @classmethod
    def param_of(cls, name: str) -> Param:
        """The :class:`Param` of field ``name``."""
        for field_name, spec in cls.fields():
            if field_name == name:
                return spec
        raise KeyError(name)

    @classmethod
    def default_of(cls, name: str) -> Any:
        """The default value of field ``name``."""
        for f in fields(cast(Any, cls)):
            if f.name == name:
                return f.default_factory() if f.default_factory is not MISSING else f.default
        raise KeyError(name)

    @classmethod
    def cli_flag(cls, name: str) -> str:
        """The command-line flag of field ``name`` (empty for a positional argument)."""
        spec = cls.param_of(name)
        return spec.cli if spec.cli is not None else "--" + name.replace("_", "-")

    # Naming -------------------------------------------------------------------------------------

    def name_of(self, name: str) -> str:
        """How the caller spells field ``name``: QGIS key, CLI flag (a positional argument: its
        metavar, the key) or Python argument."""
        if self.caller == "qgis":
            return self.param_of(name).key
        if self.caller == "cli":
            return self.cli_flag(name) or self.param_of(name).key
        return name

    def paths(self, *kinds: Kind) -> dict[str, str]:
        """The paths of the fields of ``kinds`` under the caller's names (empty: not given)."""
        return {self.name_of(name): getattr(self, name) or "" for name in self.fields_of_kind(*kinds)}

    def with_(self: R, **changes: Any) -> R:
        """A copy with ``changes`` applied (validated again)."""
        return replace(self, **changes)  # type: ignore[type-var]

    def without(self: R, *names: str) -> R:
        """A copy with the fields ``names`` back at their defaults."""
        return self.with_(**{name: self.default_of(name) for name in names})

    # Validation ---------------------------------------------------------------------------------

    def parse_text(self) -> None:
        """Turn the text given for a field with a ``parse`` (a QGIS string parameter, a CLI
        argument) into its value."""
        for name, spec in self.fields():
            value = getattr(self, name)
            if spec.parse is not None and isinstance(value, str):
                object.__setattr__(self, name, spec.parse(value))

    def check_declared(self) -> None:
        """Raise :class:`InputError` for an enum value outside its choices or a number outside its
        range, naming the setting as the caller knows it."""
        for name, spec in self.fields():
            value = getattr(self, name)
            if value is None and spec.optional:
                continue
            if spec.kind == "enum" and value not in spec.choices:
                raise InputError(f"{self.name_of(name)} must be one of {', '.join(spec.choices)}; "
                                 f"got {value!r}.")
            if spec.kind == "integer" and (isinstance(value, bool) or not isinstance(value, int)):
                raise InputError(f"{self.name_of(name)} must be a whole number, got {value!r}.")
            if spec.kind == "number" and (isinstance(value, bool) or not isinstance(value, (int, float))):
                raise InputError(f"{self.name_of(name)} must be a number, got {value!r}.")
            if spec.kind in ("integer", "number"):
                if spec.minimum is not None and value < spec.minimum:
                    raise InputError(f"{self.name_of(name)} must be at least {spec.minimum:g}, "
                                     f"got {value:g}.")
                if spec.maximum is not None and value > spec.maximum:
                    raise InputError(f"{self.name_of(name)} must be at most {spec.maximum:g}, "
                                     f"got {value:g}.")
