"""Tests of fusion_core.io.masks through read_raster: every way GDAL marks a pixel invalid
becomes NaN in that pixel (and only there), an alpha band is not a band, and bands without any
valid pixel are reported."""

import numpy as np
import pytest
import rasterio
from rasterio.windows import Window

from fusion_core.io import empty_bands, read_raster, read_raster_info
from fusion_core.io.masks import valid_everywhere


def test_integer_nodata_is_nan_and_the_rest_is_scaled(tmp_path, product, dn):
    stored = dn(3)
    stored[:, 0, :4] = -32768
    path = product(tmp_path / "enmap.tif", stored, nodata=-32768, scales=[1e-4] * 3)
    data = read_raster(path).data
    assert np.isnan(data[:, 0, :4]).all()
    valid = ~np.isnan(data)
    assert valid.sum() == stored.size - 12
    np.testing.assert_allclose(data[valid], stored[valid] * 1e-4, rtol=1e-6)


def test_zero_nodata_of_a_uint16_product(tmp_path, product, dn):
    stored = dn(2, dtype=np.uint16)
    stored[1, 5, 5] = 0
    data = read_raster(product(tmp_path / "s2.tif", stored, nodata=0)).data
    assert np.isnan(data[1, 5, 5]) and not np.isnan(data[0, 5, 5])
    assert np.isnan(data).sum() == 1


@pytest.mark.parametrize("internal", [True, False], ids=["internal mask", "msk file"])
def test_a_mask_band_marks_pixels_invalid_in_every_band_despite_a_nodata_value(
        tmp_path, product, dn, internal):
    stored = dn(3)
    stored[2, 7, 7] = -9999  # GDAL's mask is the mask band: the nodata value must still count
    mask = np.ones(stored.shape[1:], bool)
    mask[3:5, 2:6] = False
    path = product(tmp_path / "masked.tif", stored, nodata=-9999, mask=mask, internal_mask=internal)
    assert (tmp_path / "masked.tif.msk").exists() != internal
    data = read_raster(path).data
    assert np.isnan(data[:, 3:5, 2:6]).all()
    assert np.isnan(data[2, 7, 7]) and not np.isnan(data[:2, 7, 7]).any()
    assert np.isnan(data).sum() == 3 * 8 + 1
    kind = "internal mask" if internal else "mask file .msk"
    assert read_raster_info(path).radiometry[0].mask == kind


def test_an_alpha_band_is_a_mask_not_a_band(tmp_path, product, dn):
    stored = dn(3, dtype=np.uint8, start=1)
    alpha = np.full(stored.shape[1:], 255, np.uint8)
    alpha[0, :] = 0
    path = product(tmp_path / "rgba.tif", stored, alpha=alpha,
                   band_tags=[{"wavelength": w} for w in ("490", "560", "665", "0")])
    raster = read_raster(path)
    assert raster.count == 3 and raster.band_indexes == [1, 2, 3]
    assert raster.band_names == ["Band 1", "Band 2", "Band 3"]
    np.testing.assert_allclose(raster.wavelengths, [490, 560, 665])
    assert np.isnan(raster.data[:, 0]).all() and not np.isnan(raster.data[:, 1:]).any()
    np.testing.assert_array_equal(raster.data[:, 1:], stored[:, 1:])
    assert raster.radiometry[0].mask == "alpha band 4"
    assert read_raster_info(path).count == 3


def test_alpha_is_honoured_when_gdal_chose_the_nodata_value_as_the_mask(tmp_path, product, dn):
    stored = dn(2, dtype=np.uint16, start=1)
    stored[0, 1, 1] = 0
    alpha = np.full(stored.shape[1:], 1, np.uint16)
    alpha[5, 5] = 0
    data = read_raster(product(tmp_path / "both.tif", stored, nodata=0, alpha=alpha)).data
    assert np.isnan(data[0, 1, 1]) and not np.isnan(data[1, 1, 1])
    assert np.isnan(data[:, 5, 5]).all()
    assert np.isnan(data).sum() == 3


def test_per_band_nodata_of_a_vrt(tmp_path, product, dn):
    stored = dn(2)
    stored[0, 0, 0] = -1
    stored[1, 0, 1] = -2
    src = product(tmp_path / "src.tif", stored)
    bands = "".join(
        f'<VRTRasterBand dataType="Int16" band="{b}"><NoDataValue>{nd}</NoDataValue>'
        f'<SimpleSource><SourceFilename relativeToVRT="1">src.tif</SourceFilename>'
        f'<SourceBand>{b}</SourceBand></SimpleSource></VRTRasterBand>'
        for b, nd in ((1, -1), (2, -2)))
    with rasterio.open(src) as ds:
        gt = ", ".join(map(str, ds.transform.to_gdal()))
        srs = ds.crs.to_wkt()
    vrt = tmp_path / "bands.vrt"
    vrt.write_text(f'<VRTDataset rasterXSize="{stored.shape[2]}" rasterYSize="{stored.shape[1]}">'
                   f"<SRS>{srs}</SRS><GeoTransform>{gt}</GeoTransform>{bands}</VRTDataset>")
    raster = read_raster(vrt)
    assert [b.nodata for b in raster.radiometry] == [-1, -2]
    assert np.isnan(raster.data[0, 0, 0]) and not np.isnan(raster.data[1, 0, 0])
    assert np.isnan(raster.data[1, 0, 1]) and not np.isnan(raster.data[0, 0, 1])
    assert np.isnan(raster.data).sum() == 2


def test_nodata_written_in_an_aux_xml_by_another_tool_is_honoured(tmp_path, product, dn):
    stored = dn(2, dtype=np.uint16)
    stored[:, 3, 3] = 7
    path = product(tmp_path / "edited.tif", stored)
    (tmp_path / "edited.tif.aux.xml").write_text(
        "<PAMDataset>" + "".join(f'<PAMRasterBand band="{b}"><NoDataValue>7</NoDataValue>'
                                 "</PAMRasterBand>" for b in (1, 2)) + "</PAMDataset>")
    assert np.isnan(read_raster(path).data[:, 3, 3]).all()


def test_bands_entirely_nodata_are_reported_and_partial_ones_are_not(tmp_path, product, dn):
    stored = dn(6, height=600, width=8)  # taller than one scanned strip
    stored[:, :300] = -32768  # a nodata swath border over every band
    stored[[2, 4]] = -32768
    stored[5, 599, 7] = -32768
    path = product(tmp_path / "swath.tif", stored, nodata=-32768)
    assert empty_bands(path) == [2, 4]
    data = read_raster(path).data
    valid = valid_everywhere(data, skip=[2, 4])
    assert valid[300:].sum() == 300 * 8 - 1 and not valid[:300].any()


def test_enmap_water_vapour_bands_are_found_empty(tmp_path, product, shared_data):
    scipy_io = pytest.importorskip("scipy.io")
    cube = scipy_io.loadmat(shared_data / "enmap_potsdam_l2a_crops_224b.mat")["cube_a"]
    path = product(tmp_path / "enmap.tif", np.moveaxis(cube, -1, 0).astype(np.int16),
                   nodata=-32768, scales=[1e-4] * cube.shape[-1])
    assert empty_bands(path, "LR-HSI") == list(range(129, 135))


def test_windowed_and_decimated_reads_match_the_full_read(tmp_path, product, dn):
    stored = dn(3, height=12, width=20, dtype=np.uint16)
    stored[0, 1::3, ::2] = 0
    mask = np.ones(stored.shape[1:], bool)
    mask[4, :] = False
    path = product(tmp_path / "s2.tif", stored, nodata=0, scales=[1e-4] * 3,
                   offsets=[-0.1] * 3, mask=mask)
    full = read_raster(path).data
    part = read_raster(path, window=Window(4, 2, 10, 8))
    np.testing.assert_array_equal(part.data, full[:, 2:10, 4:14])
    small = read_raster(path, out_shape=(4, 5))
    rows, cols = (np.arange(4) + 0.5) * 3, (np.arange(5) + 0.5) * 4  # GDAL nearest: pixel centres
    np.testing.assert_array_equal(small.data, full[:, rows.astype(int)][:, :, cols.astype(int)])
    assert np.isnan(small.data).any()
    assert small.grid.pixel_size == (120.0, 90.0) and (small.grid.width, small.grid.height) == (5, 4)
    both = read_raster(path, window=Window(4, 2, 10, 8), out_shape=(4, 5))
    np.testing.assert_array_equal(both.data, full[:, 3:10:2, 5:14:2])
    assert both.grid.transform.c == pytest.approx(368_000.0 + 4 * 30.0)
