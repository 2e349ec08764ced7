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
