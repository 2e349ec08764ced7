"""PROVENANCE: a raster on the output's grid saying, per pixel, where the result comes from."""

import numpy as np
import rasterio

from fusion_core import FusionRequest, fuse_files
from fusion_core.io import read_raster, write_raster
from fusion_core.pipeline.provenance import BLENDED, CODES, EMPTY, FUSED, HSI_ONLY


def test_the_provenance_raster_says_fused_lr_hsi_alone_blend_or_empty(tmp_rasters, tmp_path):
    pair = tmp_rasters(size=96, n_hsi=24, n_msi=4, snr_db=35.0)
    lr, hr = pair.lr_hsi.copy(), pair.hr_msi.copy()
    lr[:, 2:4, 2:4] = np.nan                                            # LR-HSI nodata
    hr[:, 40:64, 48:72] = np.nan                                        # HR-MSI masked
    write_raster(pair.lr_path, lr, pair.lr_grid, [f"b{i}" for i in range(24)], pair.hsi_wavelengths)
    write_raster(pair.hr_path, hr, pair.hr_grid, pair.msi_band_names)
    out, codes_path = tmp_path / "fused.tif", tmp_path / "provenance.tif"
    fuse_files(FusionRequest(str(pair.lr_path), str(pair.hr_path), str(out), provenance=str(codes_path)))
    fused = read_raster(out).data
    with rasterio.open(codes_path) as ds:
        codes = ds.read(1)
        assert ds.dtypes[0] == "uint8" and ds.transform == rasterio.open(out).transform
        assert ds.descriptions[0] == "provenance: 0 empty, 1 fused, 2 LR-HSI alone, 3 blend"
        assert ds.tags(1)["CODE_2"].startswith("LR-HSI alone: ")
    assert set(np.unique(codes)) == {EMPTY, FUSED, HSI_ONLY, BLENDED} == set(CODES)
    assert (codes[8:16, 8:16] == EMPTY).all() and np.isnan(fused[:, 8:16, 8:16]).all()
    assert (codes[40:64, 48:72] == HSI_ONLY).all() and np.isfinite(fused[:, 40:64, 48:72]).all()
    assert (codes[np.isnan(fused[0])] == EMPTY).all() and (codes[np.isfinite(fused[0])] != EMPTY).all()
    assert (codes[80:, :40] == FUSED).all()
