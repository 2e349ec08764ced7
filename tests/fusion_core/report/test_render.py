"""The report's files: strict JSON beside a self-contained HTML page."""

import json
import math

from fusion_core.report.render import json_path, plain


def test_plain_json_has_no_nan_and_no_numpy():
    import numpy as np

    value = plain({"map": np.array([[1.0, np.nan]]), "x": np.float32(2.5), "inf": math.inf})
    assert json.loads(json.dumps(value, allow_nan=False)) == {"map": [[1.0, None]], "x": 2.5, "inf": None}


def test_the_json_sits_beside_the_report(tmp_path):
    assert json_path(tmp_path / "run.html") == tmp_path / "run.json"


def _walked(value):
    """Every value converted one by one (what :func:`plain` gives, the slow way)."""
    if isinstance(value, dict):
        return {str(k): _walked(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_walked(v) for v in value]
    if hasattr(value, "tolist"):
        return _walked(value.tolist())
    return None if isinstance(value, float) and not math.isfinite(value) else value


def test_plain_arrays_give_the_values_one_by_one_would():
    import numpy as np

    rng = np.random.default_rng(0)
    holed = rng.standard_normal((5, 7)).astype(np.float32)
    holed[1, 2], holed[3, 4], holed[0, 0] = np.nan, np.inf, -np.inf
    value = {"holed": holed, "whole": rng.standard_normal((4, 3)), "ints": np.arange(6).reshape(2, 3),
             "flags": np.array([True, False]), "list": [np.float64(np.nan), 1.5]}
    got = plain(value)
    assert got == _walked(value) and json.dumps(got, allow_nan=False) == json.dumps(_walked(value))
    assert type(got["holed"][0][1]) is float
