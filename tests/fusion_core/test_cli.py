"""`python -m fusion_core`: the jobs of the QGIS algorithms without QGIS."""

import json

import pytest

from fusion_core.cli import main
from fusion_core.degradation import DegradationModel
from fusion_core.io import read_raster_info


def test_estimate_then_fuse_then_metrics(tmp_rasters, tmp_path, capsys):
    pair = tmp_rasters(size=32, n_hsi=16, n_msi=4)
    model, fused = tmp_path / "model.json", tmp_path / "fused.tif"
    assert main(["-q", "estimate", str(pair.lr_path), str(pair.hr_path), str(model)]) == 0
    assert DegradationModel.load(model).srf.shape == (16, 4)
    assert main(["-q", "fuse", str(pair.lr_path), str(pair.hr_path), str(fused),
                 "--degradation", str(model), "--window-size", "16"]) == 0
    assert read_raster_info(fused).grid == read_raster_info(pair.hr_path).grid
    capsys.readouterr()
    assert main(["-q", "metrics", str(pair.reference_path), str(fused), "--scale", "4"]) == 0
    assert json.loads(capsys.readouterr().out)["PSNR"] > 30


def test_bad_input_exits_2_with_the_message(tmp_rasters, tmp_path, capsys):
    pair = tmp_rasters(size=32, n_hsi=16, n_msi=4)
    code = main(["-q", "fuse", str(pair.hr_path), str(pair.lr_path), str(tmp_path / "f.tif")])
    assert code == 2
    assert "swapped" in capsys.readouterr().err
    assert not (tmp_path / "f.tif").exists()


def test_method_options_are_checked_before_any_work(tmp_rasters, tmp_path, capsys):
    pair = tmp_rasters(size=32, n_hsi=16, n_msi=4)
    out = tmp_path / "f.tif"
    missing = str(tmp_path / "no_such_input.tif")  # reading it would be the first work, and fail
    code = main(["-q", "fuse", missing, missing, str(out), "--options", "geometry=hsi"])
    assert code == 2
    err = capsys.readouterr().err
    assert "Unknown SSCF option(s) geometry; valid options are align, local" in err
    assert "no_such_input" not in err and not list(tmp_path.glob("f.tif*"))
    assert main(["-q", "fuse", str(pair.lr_path), str(pair.hr_path), str(out),
                 "--options", "cg_iters=20; local=false"]) == 0
    assert out.exists()


def test_disagreement_from_hsi_is_a_flag_of_fuse_and_its_areas_are_logged(planted_rasters, tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["fuse", "--help"])
    assert "--disagreement-from-hsi" in capsys.readouterr().out
    pair = planted_rasters()
    assert main(["fuse", str(pair.lr_path), str(pair.hr_path), str(tmp_path / "f.tif"),
                 "--disagreement-from-hsi"]) == 0
    assert "--disagreement-from-hsi: the two images disagree in" in capsys.readouterr().err


def test_simulate_then_metrics_with_the_released_flags(tmp_rasters, tmp_path, capsys):
    pair = tmp_rasters(size=24, n_hsi=12)
    lr, hr, model = tmp_path / "lr.tif", tmp_path / "hr.tif", tmp_path / "true.json"
    assert main(["-q", "simulate", str(pair.reference_path), str(lr), str(hr), "--scale", "3",
                 "--sensor", "sentinel-2a", "--msi-bands", "B2,B3,B4,B8", "--psf-fwhm", "2.5",
                 "--snr", "40", "--seed", "1", "--model", str(model)]) == 0
    assert read_raster_info(lr).grid.width == 8 and DegradationModel.load(model).scale == 3
    capsys.readouterr()
    assert main(["-q", "metrics", str(pair.reference_path), str(pair.reference_path), "--scale", "3",
                 "--report", str(tmp_path / "metrics.md")]) == 0
    assert json.loads(capsys.readouterr().out)["RMSE"] == 0
    assert "PSNR" in (tmp_path / "metrics.md").read_text()


def test_messages_of_every_command_name_its_flags(tmp_rasters, tmp_path, capsys):
    pair = tmp_rasters(size=24, n_hsi=12)
    code = main(["-q", "simulate", str(pair.reference_path), str(tmp_path / "lr.tif"),
                 str(tmp_path / "hr.tif"), "--scale", "1", "--sensor", "sentinel-2a"])
    assert code == 2 and "--scale must be at least 2, got 1" in capsys.readouterr().err
    code = main(["-q", "simulate", str(pair.reference_path), str(tmp_path / "lr.tif"),
                 str(tmp_path / "hr.tif")])
    assert code == 2 and "(--sensor or --srf-file)" in capsys.readouterr().err
    code = main(["-q", "metrics", str(pair.reference_path), str(pair.lr_path)])
    assert code == 2 and "REFERENCE is 24×24 pixels × 12 bands but ESTIMATE is 6×6" in capsys.readouterr().err
    assert not (tmp_path / "lr.tif").exists() and not (tmp_path / "hr.tif").exists()


@pytest.mark.parametrize("during, said", [
    ("fusion_core.windows.runner._fuse_here", "no output was written."),
    ("fusion_core.pipeline.reporting.report_run", "the fused image {out} is complete; its quality "
                                                  "report was not written."),
])
def test_ctrl_c_says_whether_the_fused_image_was_written(tmp_rasters, tmp_path, capsys, monkeypatch,
                                                         during, said):
    # Ctrl-C while the report is computed leaves the fused image complete (it is renamed into
    # place before the report): the last line must not say that nothing was written.
    pair = tmp_rasters(size=32, n_hsi=16, n_msi=4)
    out = tmp_path / "fused.tif"

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(during, interrupt)
    assert main(["-q", "fuse", str(pair.lr_path), str(pair.hr_path), str(out)]) == 130
    assert capsys.readouterr().err.strip().endswith(said.format(out=out))
    assert out.exists() == ("complete" in said)


def test_ctrl_c_before_the_fusion_ends_leaves_an_earlier_result_and_says_nothing_was_written(
        tmp_rasters, tmp_path, capsys, monkeypatch):
    pair = tmp_rasters(size=32, n_hsi=16, n_msi=4)
    out = tmp_path / "fused.tif"
    assert main(["-q", "fuse", str(pair.lr_path), str(pair.hr_path), str(out)]) == 0
    earlier = out.read_bytes()

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("fusion_core.windows.runner._fuse_here", interrupt)
    capsys.readouterr()
    assert main(["-q", "fuse", str(pair.lr_path), str(pair.hr_path), str(out)]) == 130
    assert capsys.readouterr().err.strip().endswith("no output was written.")
    assert out.read_bytes() == earlier
