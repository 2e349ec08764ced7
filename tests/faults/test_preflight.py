"""Bad outputs and unreadable inputs are refused before any compute, each with a message naming
the setting, the path and a fix; the inputs stay as they were (the ``inputs`` fixture checks)."""

import os

import pytest
import rasterio

from fusion_core import FusionRequest, fuse_files
from fusion_core.errors import InputError
from fusion_core.job_requests import MetricsRequest, SimulationRequest
from fusion_core.pipeline import estimate_files, metrics_files, simulate_pair_files
from fusion_core.pipeline.preflight import COMPRESSION, SPACE_MARGIN


@pytest.fixture
def fails_if_computing(monkeypatch):
    """Any compute (planning the run is the first step) fails the test: refusals come first."""
    from fusion_core.pipeline import fuse

    def compute(*args, **kwargs):
        raise AssertionError("compute started before the refusal")

    monkeypatch.setattr(fuse, "plan_run", compute)


def request(inputs, output, **settings):
    return FusionRequest(str(inputs.lr), str(inputs.hr), str(output), **settings)


@pytest.mark.parametrize("how", ["same path", "relative path", "symbolic link", "hard link"])
def test_an_output_that_is_an_input_is_refused(inputs, fails_if_computing, tmp_path, monkeypatch,
                                               how):
    if how == "same path":
        output = inputs.lr
    elif how == "relative path":
        monkeypatch.chdir(tmp_path)
        output = os.path.join("inputs", "..", "inputs", inputs.lr.name)
    elif how == "symbolic link":
        output = tmp_path / "fused.tif"
        output.symlink_to(inputs.lr)
    else:
        output = tmp_path / "fused.tif"
        os.link(inputs.lr, output)
    with pytest.raises(InputError, match=r"output \(.*\) is the same file as the input lr_hsi .*"
                                         r"Choose another path for output"):
        fuse_files(request(inputs, output))


def test_extra_outputs_may_not_be_an_input_or_the_output(inputs, fails_if_computing, tmp_path):
    out = tmp_path / "fused.tif"
    with pytest.raises(InputError, match="degradation_output .* is the same file as the output output"):
        fuse_files(request(inputs, out, degradation_output=str(out)))
    model = tmp_path / "model.json"
    inputs.pair.model.save(model)
    with pytest.raises(InputError, match="degradation_output .* is the same file as the input degradation"):
        fuse_files(request(inputs, out, degradation=str(model), degradation_output=str(model)))
    with pytest.raises(InputError, match="--report .* is the same file as the input ESTIMATE"):
        metrics_files(MetricsRequest(str(inputs.reference), str(inputs.lr), report=str(inputs.lr),
                                     caller="cli"))


@pytest.mark.parametrize("name", ["fused.img", "fused.vrt", "fused"])
def test_an_output_format_other_than_geotiff_is_refused_by_name(inputs, fails_if_computing,
                                                                tmp_path, name):
    with pytest.raises(InputError, match=r"writes GeoTIFF only \(\.tif, \.tiff\).*Name it e\.g\. "
                                         r"fused\.tif"):
        fuse_files(request(inputs, tmp_path / name))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inputs"]


def test_a_missing_output_folder_is_refused(inputs, fails_if_computing, tmp_path):
    with pytest.raises(InputError, match="The folder .*nowhere of output does not exist: create it"):
        fuse_files(request(inputs, tmp_path / "nowhere" / "fused.tif"))


def test_a_read_only_output_folder_is_refused_before_compute(inputs, fails_if_computing,
                                                             small_disk):
    folder = small_disk(64)
    os.system(f"mount -o remount,ro {folder}")
    with pytest.raises(InputError, match=f"Cannot write in the folder {folder} of output"):
        fuse_files(request(inputs, folder / "fused.tif"))


def test_a_disk_without_room_for_the_output_is_refused_with_the_margin(inputs, fails_if_computing,
                                                                       small_disk):
    folder = small_disk(16)  # the fused 32×32×12 float32 image: 49 kB raw
    need = round(32 * 32 * 12 * 4 / COMPRESSION * SPACE_MARGIN / 1000)
    with pytest.raises(InputError, match=rf"has 16 kB free, but the output needs about {need} kB "
                                         rf".*1/{COMPRESSION:g} .* plus a 10 % margin\): free some space"):
        fuse_files(request(inputs, folder / "fused.tif"))
    assert os.listdir(folder) == []


def test_a_truncated_input_is_refused_naming_it(inputs, fails_if_computing, tmp_path):
    broken = tmp_path / "truncated.tif"
    data = inputs.lr.read_bytes()
    broken.write_bytes(data[: int(len(data) * 0.8)])
    with pytest.raises(InputError, match=r"lr_hsi \(.*truncated\.tif\) is truncated, corrupt or not"
                                         r" a raster: GDAL cannot read it \(.*band .*\)\. Download "
                                         r"or export it again; 'gdalinfo -checksum"):
        fuse_files(FusionRequest(str(broken), str(inputs.hr), str(tmp_path / "fused.tif")))


def test_a_block_corrupt_inside_an_input_is_named_when_it_is_read(inputs, tmp_path):
    broken = tmp_path / "corrupt.tif"
    with rasterio.open(inputs.hr) as src:  # 16×16 tiles: four blocks per band
        profile = dict(src.profile, blockxsize=16, blockysize=16)
        with rasterio.open(broken, "w", **profile) as dst:
            dst.write(src.read())
    with rasterio.open(broken) as ds:  # garble the first block of band 2 (the scan reads the last)
        offset = int(ds.get_tag_item("BLOCK_OFFSET_0_0", "TIFF", bidx=2))
    with open(broken, "r+b") as f:
        f.seek(offset)
        f.write(b"\xff" * 64)
    with pytest.raises(InputError, match=r"The HR-MSI raster .*corrupt\.tif cannot be read .*band 2"
                                         r".*download or export it again"):
        fuse_files(FusionRequest(str(inputs.lr), str(broken), str(tmp_path / "fused.tif")))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corrupt.tif", "inputs"]


def test_every_file_job_is_checked(inputs, tmp_path):
    with pytest.raises(InputError, match="HR_MSI .* is the same file as the input REFERENCE"):
        simulate_pair_files(SimulationRequest(str(inputs.reference), str(tmp_path / "lr.tif"),
                                              str(inputs.reference), sensor="sentinel-2a",
                                              msi_bands=("B2", "B3", "B4", "B8"), caller="qgis"))
    with pytest.raises(InputError, match="OUTPUT .* is the same file as the input HR_MSI"):
        estimate_files(FusionRequest(str(inputs.lr), str(inputs.hr), caller="cli"), str(inputs.hr))
    with pytest.raises(InputError, match="estimate .*missing.tif. does not exist"):
        metrics_files(MetricsRequest(str(inputs.reference), str(tmp_path / "missing.tif")))
