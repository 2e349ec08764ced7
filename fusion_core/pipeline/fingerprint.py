"""What makes two runs the same run, so that RESUME continues only its own work."""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import TYPE_CHECKING, Any

from ..request import INPUT_KINDS, OUTPUT_KINDS, FusionRequest, fields_of_kind

if TYPE_CHECKING:
    from .plan import RunPlan

__all__ = ["run_fingerprint"]

#: Request fields that change where or how fast a run goes, not what it computes: every output,
#: and how the run is carried out.
_NOT_RESULT = frozenset(fields_of_kind(*OUTPUT_KINDS)) | {"resume", "max_memory_gb", "window_size",
                                                          "dask_scheduler", "caller"}
#: Input files, fingerprinted by their facts (path, size, date).
_FILES = fields_of_kind(*INPUT_KINDS)


def run_fingerprint(plan: "RunPlan") -> str:
    """A hash of the inputs (path, size, date) and of every setting that changes the result."""
    from ..windows import file_facts, fingerprint

    facts: dict[str, Any] = {}
    for f in fields(FusionRequest):
        if f.name in _NOT_RESULT:
            continue
        value = getattr(plan.request, f.name)
        if f.name in _FILES and value:
            value = file_facts(value)
        facts[f.name] = dict(value) if f.name == "options" else value
    facts["pair"] = asdict(plan.pair)
    facts["device"] = plan.config.device.type
    return fingerprint(**facts)
