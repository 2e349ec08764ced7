"""Every method's options are declared once, checked by one function and described as help."""

import subprocess
import sys
from pathlib import Path

import pytest

from fusion_core.errors import InputError
from fusion_core.methods import CATALOG, describe_options, load_method, method_help, method_presets
from fusion_core.methods.base import FusionConfig
from fusion_core.methods.settings import PRESETS

METHODS = [entry.id for entry in CATALOG]
REPO = Path(__file__).resolve().parents[3]
#: A whole-number option of each method (SSCF's used to round 1.5 and parse "12").
WHOLE = {"sscf": "cg_iters", "udaln": "stage1_iters", "m2unet": "width", "stable_vae": "em_iters",
         "ual": "iterations", "uao": "outer_iters"}


def settings(method_id, preset="fast", **options):
    return load_method(method_id).settings(FusionConfig(preset=preset, options=options))


@pytest.mark.parametrize("method_id", METHODS)
def test_every_method_has_both_presets_and_the_catalog_finds_its_settings(method_id):
    method = load_method(method_id)
    assert method.name == method_id
    assert method.presets is method_presets(method_id)
    assert set(method.presets) == set(PRESETS)


@pytest.mark.parametrize("method_id", list(WHOLE))
@pytest.mark.parametrize("value", [1.5, "12", True, -1])
def test_a_whole_number_option_refuses_fractions_text_booleans_and_negatives(method_id, value):
    name = WHOLE[method_id]
    with pytest.raises(InputError, match=rf"{name} must be a whole number >= \d, got {value!r}"):
        settings(method_id, **{name: value})


def test_every_method_with_options_is_covered_and_the_others_refuse_any():
    assert set(WHOLE) == {m for m in METHODS if describe_options(m)}
    for method_id in set(METHODS) - set(WHOLE):  # closed-form baselines: nothing to tune
        with pytest.raises(InputError, match="takes no options; got typo"):
            settings(method_id, typo=1)


@pytest.mark.parametrize("method_id", list(WHOLE))
def test_an_option_overrides_its_preset_and_keeps_the_others(method_id):
    name = WHOLE[method_id]
    fast = settings(method_id)
    changed = settings(method_id, **{name: getattr(fast, name) + 3})
    assert getattr(changed, name) == getattr(fast, name) + 3
    assert {k: v for k, v in vars(changed).items() if k != name} == {
        k: v for k, v in vars(fast).items() if k != name}


@pytest.mark.parametrize("method_id", list(WHOLE))
def test_unknown_presets_and_options_are_refused_with_the_valid_ones(method_id):
    first = describe_options(method_id)[0].name
    with pytest.raises(InputError, match="Unknown preset 'slow'; choose one of fast, paper"):
        settings(method_id, preset="slow")
    with pytest.raises(InputError, match=f"Unknown .* option.*typo.*valid options are {first}"):
        settings(method_id, typo=1)


def test_numbers_lists_and_rates_are_checked_against_their_range():
    assert settings("sscf", smoothness=1).smoothness == 1.0 and isinstance(settings("sscf", smoothness=1).smoothness,
                                                                          float)
    assert settings("stable_vae", em_milestones=[30, 10]).em_milestones == (10, 30)
    with pytest.raises(InputError, match=r"em_milestones must be a list of whole numbers >= 0, got \[1.5\]"):
        settings("stable_vae", em_milestones=[1.5])
    with pytest.raises(InputError, match="lr_stage1 must be a number > 0, got 0"):
        settings("udaln", lr_stage1=0)
    with pytest.raises(InputError, match="decay_stage2 must be a number from 0 to 1, got 1.5"):
        settings("udaln", decay_stage2=1.5)
    with pytest.raises(InputError, match="smoothness must be a number >= 0, got '0.2'"):
        settings("sscf", smoothness="0.2")


def test_a_method_without_options_says_so():
    from fusion_core.methods.base import FusionMethod

    class Plain(FusionMethod):
        name = "plain"

        def fuse(self, lr_hsi, hr_msi, model, config, progress):
            return lr_hsi

    assert Plain().label == "plain"
    with pytest.raises(InputError, match="plain takes no options; got x"):
        Plain().check_config(FusionConfig(options={"x": 1}))


def test_help_lists_each_option_with_its_range_and_preset_values():
    sscf = {o.name: o for o in describe_options("sscf")}
    assert sscf["cg_iters"].text() == (
        "cg_iters (a whole number >= 0; fast 100, paper 400): most conjugate-gradient iterations "
        "of the consistency solve")
    assert sscf["align"].text().startswith("align (true or false; default true): ")
    text = method_help("udaln")
    assert text.startswith(CATALOG[1].label + ": " + CATALOG[1].summary)
    assert "  lr_stage1 (a number > 0; fast 0.0001, paper 0.001): " in text


def test_help_and_options_need_no_torch():
    code = ("import sys; sys.modules['torch'] = None\n"
            "from fusion_core.methods import CATALOG, method_help\n"
            "from fusion_core.methods.options import parse_method_options\n"
            "print(sum(len(method_help(e.id)) > 0 for e in CATALOG))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(len(CATALOG))
