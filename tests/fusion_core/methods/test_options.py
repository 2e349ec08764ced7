import pytest

from fusion_core.errors import InputError
from fusion_core.methods.options import parse_method_options


def test_name_value_pairs_get_their_json_types():
    assert parse_method_options("local=false; smoothness=0.2; milestones=[100, 200]; x=abc") == {
        "local": False, "smoothness": 0.2, "milestones": [100, 200], "x": "abc"}


def test_a_json_object_and_empty_text_are_accepted():
    assert parse_method_options('{"cg_iters": 50}') == {"cg_iters": 50}
    assert parse_method_options("  ") == {} and parse_method_options(None) == {}


@pytest.mark.parametrize("text, message", [
    ("smoothness", "name=value"), ("=3", "name=value"), ("{bad json", "not valid JSON"),
    ("[1, 2]", "name=value"),
])
def test_malformed_options_say_how_to_write_them(text, message):
    with pytest.raises(InputError, match=message):
        parse_method_options(text)
