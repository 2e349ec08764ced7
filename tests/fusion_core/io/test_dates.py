"""Acquisition times from a raster's metadata, in the forms GDAL drivers give them, and the
warning for a pair acquired far apart."""

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from fusion_core.io.dates import DATE_GAP_DAYS, acquisition_time, date_gap_warning, days_apart, iso_utc


@pytest.mark.parametrize("text, expected", [
    ("2022-07-24T10:31:05Z", "2022-07-24T10:31:05Z"),
    ("2022-07-24T10:31:05.123456Z", "2022-07-24T10:31:05Z"),
    ("2022-07-24T12:31:05+02:00", "2022-07-24T10:31:05Z"),
    ("2022:07:24 10:31:05", "2022-07-24T10:31:05Z"),           # TIFF's DATETIME
    ("{2022-07-24T10:31:05Z}", "2022-07-24T10:31:05Z"),        # an ENVI header value
    ("2022-07-24", "2022-07-24T00:00:00Z"),
    ("yesterday", None),
])
def test_times_are_read_as_iso_8601_in_utc(text, expected):
    assert iso_utc(text) == expected


def _raster(path, driver="GTiff", **tags):
    with rasterio.open(path, "w", driver=driver, width=4, height=4, count=1, dtype="float32",
                       crs="EPSG:32633", transform=from_origin(500000, 5800000, 30, 30)) as ds:
        ds.write(np.zeros((1, 4, 4), np.float32))
        ds.update_tags(**tags)
    return str(path)


def test_the_acquisition_item_wins_over_the_file_time(tmp_path):
    path = _raster(tmp_path / "a.tif", ACQUISITION_DATETIME="2022-07-24T10:31:05Z",
                   TIFFTAG_DATETIME="2023:01:02 03:04:05")
    assert acquisition_time(path) == "2022-07-24T10:31:05Z"
    assert acquisition_time(_raster(tmp_path / "b.tif", TIFFTAG_DATETIME="2023:01:02 03:04:05")) \
        == "2023-01-02T03:04:05Z"
    assert acquisition_time(_raster(tmp_path / "c.tif")) is None
    assert not list(tmp_path.glob("*.aux.xml"))                 # read, nothing written beside


def test_an_envi_header_acquisition_time_is_read(tmp_path):
    path = _raster(tmp_path / "e.bsq", driver="ENVI")
    header = tmp_path / "e.hdr"
    header.write_text(header.read_text() + "acquisition time = 2021-06-01T09:00:00Z\n")
    assert acquisition_time(path) == "2021-06-01T09:00:00Z"


def test_a_pair_more_than_a_week_apart_is_warned_about():
    assert days_apart("2022-07-24T10:00:00Z", "2022-07-20T10:00:00Z") == 4.0
    assert days_apart(None, "2022-07-20T10:00:00Z") is None
    assert date_gap_warning("2022-07-24T10:00:00Z", "2022-07-31T10:00:00Z") is None  # exactly a week
    assert DATE_GAP_DAYS == 7.0
    warning = date_gap_warning("2022-07-24T10:00:00Z", "2022-08-03T10:00:00Z")
    assert "acquired 10 days apart, more than 7" in warning
    assert date_gap_warning(None, "2022-08-03T10:00:00Z") is None


def test_the_rasters_metadata_read_carries_its_acquisition_time(tmp_path):
    from fusion_core.io import read_raster_info

    path = _raster(tmp_path / "a.tif", ACQUISITION_DATETIME="2022-07-24T10:31:05Z")
    assert read_raster_info(path).acquired == "2022-07-24T10:31:05Z"   # no second opening to date it
