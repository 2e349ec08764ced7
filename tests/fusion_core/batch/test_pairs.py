"""Tests of fusion_core.batch.pairs: the scenes of a CSV list or of two globs, each with its
output and report in the batch's folder; a row or a file that cannot make a scene is kept as a
scene with its problem, and a list that cannot be used stops before any compute."""

import pytest

from fusion_core.batch import scenes_from_csv, scenes_from_globs
from fusion_core.errors import InputError
from fusion_core.request import FusionRequest

BASE = FusionRequest(method="sscf", window_size=32)


def test_a_csv_list_gives_one_request_per_row_with_its_own_settings(tmp_path):
    (tmp_path / "list.csv").write_text(
        "name,lr_hsi,hr_msi,window_size,degradation\n"
        "alps,in/a_lr.tif,in/a_hr.tif,,\n"
        ",/data/b_lr.tif,/data/b_hr.tif,64,models/b.json\n")
    alps, b = scenes_from_csv(str(tmp_path / "list.csv"), str(tmp_path / "out"), BASE)
    assert alps.name == "alps" and alps.problem == ""
    assert alps.request.lr_hsi == str(tmp_path / "in" / "a_lr.tif")
    assert alps.request.output == str(tmp_path / "out" / "alps_fused.tif")
    assert alps.request.report == str(tmp_path / "out" / "alps_report.html")
    assert alps.request.window_size == 32 and alps.request.degradation is None
    assert b.name == "b_lr" and b.request.lr_hsi == "/data/b_lr.tif"
    assert b.request.window_size == 64 and b.request.degradation == str(tmp_path / "models" / "b.json")


def test_a_bad_row_is_a_scene_with_its_problem_and_the_others_run(tmp_path):
    (tmp_path / "list.csv").write_text("lr_hsi,hr_msi,max_memory_gb,resume\n"
                                       "a.tif,b.tif,lots,\nc.tif,d.tif,2,maybe\ne.tif,f.tif,2,yes\n")
    bad_number, bad_flag, good = scenes_from_csv(str(tmp_path / "list.csv"), str(tmp_path), BASE,
                                                 report=False)
    assert bad_number.request is None and "line 2" in bad_number.problem and "lots" in bad_number.problem
    assert bad_flag.request is None and "resume must be true or false, got 'maybe'" in bad_flag.problem
    assert good.request.resume is True and good.request.report is None


@pytest.mark.parametrize("text, message", [
    ("lr,hr\na.tif,b.tif\n", "needs a header with the columns lr_hsi and hr_msi"),
    ("lr_hsi,hr_msi,colour\na.tif,b.tif,red\n", "column(s) colour that are not request fields"),
    ("lr_hsi,hr_msi,output\na.tif,b.tif,same.tif\nc.tif,d.tif,same.tif\n", "would both write"),
])
def test_a_list_that_cannot_be_used_is_refused_before_any_scene(tmp_path, text, message):
    (tmp_path / "list.csv").write_text(text)
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        scenes_from_csv(str(tmp_path / "list.csv"), str(tmp_path), BASE)


def test_two_globs_pair_files_by_what_their_wildcards_match(tmp_path):
    for name in ("2024-05_enmap.tif", "2024-06_enmap.tif", "2024-07_enmap.tif",
                 "2024-05_s2.tif", "2024-06_s2.tif", "2024-08_s2.tif"):
        (tmp_path / name).write_bytes(b"")
    scenes = scenes_from_globs(str(tmp_path / "*_enmap.tif"), str(tmp_path / "*_s2.tif"),
                               str(tmp_path / "out"), BASE)
    assert [s.name for s in scenes] == ["2024-05", "2024-06", "2024-07", "2024-08"]
    may = scenes[0].request
    assert (may.lr_hsi, may.hr_msi) == (str(tmp_path / "2024-05_enmap.tif"), str(tmp_path / "2024-05_s2.tif"))
    assert may.output == str(tmp_path / "out" / "2024-05_fused.tif")
    assert scenes[2].request is None and scenes[2].problem.startswith("no HR-MSI")
    assert scenes[3].request is None and scenes[3].problem.startswith("no LR-HSI")


def test_a_glob_that_matches_nothing_is_refused(tmp_path):
    with pytest.raises(InputError, match="The LR-HSI pattern .* matches no file"):
        scenes_from_globs(str(tmp_path / "*_enmap.tif"), str(tmp_path / "*_s2.tif"), str(tmp_path), BASE)
