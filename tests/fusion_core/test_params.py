"""One declaration per setting, read the same way for every request class."""

from dataclasses import dataclass, field
from typing import Optional

import pytest

from fusion_core.errors import InputError
from fusion_core.params import OUTPUT_KINDS, Caller, Request, param, shared
from fusion_core.request import FusionRequest


@dataclass(frozen=True)
class Job(Request):
    source: str = param("", key="SOURCE", label="Source", help="What is read.", kind="raster_in", cli="")
    level: str = param("low", key="LEVEL", label="Level", help="How much.", kind="enum",
                       choices=("low", "high"))
    ratio: int = param(4, key="RATIO", label="Ratio", help="How far.", kind="integer", minimum=2)
    seed: int = shared(FusionRequest, "seed")
    result: Optional[str] = param(None, key="RESULT", label="Result", help="What is written.",
                                  kind="file_out", optional=True, cli="--out")
    caller: Caller = field(default="python", compare=False)

    def __post_init__(self) -> None:
        self.check_declared()


def test_a_field_is_named_in_the_callers_vocabulary():
    assert [Job(caller=c).name_of("ratio") for c in ("python", "qgis", "cli")] == ["ratio", "RATIO", "--ratio"]
    assert Job(caller="cli").name_of("result") == "--out"
    assert Job(caller="cli").name_of("source") == "SOURCE"  # a positional argument: its metavar


def test_the_declarations_are_read_per_class():
    assert [name for name, _ in Job.fields()] == ["source", "level", "ratio", "seed", "result"]
    assert Job.fields_of_kind(*OUTPUT_KINDS) == ("result",)
    assert Job.param_of("seed") is FusionRequest.param_of("seed")  # shared: the same declaration
    assert Job("a.tif", result="r.json", caller="qgis").paths(*OUTPUT_KINDS) == {"RESULT": "r.json"}


@pytest.mark.parametrize("changes, message", [
    ({"level": "medium"}, "--level must be one of low, high; got 'medium'"),
    ({"ratio": 1}, "--ratio must be at least 2, got 1"),
    ({"ratio": 2.5}, "--ratio must be a whole number, got 2.5"),
])
def test_a_value_outside_its_declaration_is_refused_naming_the_setting(changes, message):
    with pytest.raises(InputError, match=message):
        Job(caller="cli", **changes)


def test_without_puts_fields_back_at_their_declared_defaults():
    assert Job("a.tif", "high", 8).without("level", "ratio") == Job("a.tif")
