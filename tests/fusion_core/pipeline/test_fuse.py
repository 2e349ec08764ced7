"""fuse_files marks the LR-HSI bands it had to leave empty in the output's bad-band list."""

import numpy as np
import rasterio

from fusion_core import FusionRequest, fuse_files
from fusion_core.io import write_raster


def test_a_band_without_valid_pixels_is_nodata_and_flagged_bad(tmp_rasters, tmp_path):
    pair = tmp_rasters(size=32, n_hsi=12)
    lr = pair.lr_hsi.copy()
    lr[4] = np.nan  # like EnMAP's water-vapour bands, stored as nodata
    write_raster(pair.lr_path, lr, pair.lr_grid, None, pair.hsi_wavelengths)
    out = tmp_path / "fused.tif"
    fuse_files(FusionRequest(str(pair.lr_path), str(pair.hr_path), str(out), method="sscf"))
    with rasterio.open(out) as ds:
        assert np.isnan(ds.read(5)).all() and np.isfinite(ds.read(4)).any()
        assert ds.tags(ns="ENVI")["bbl"] == "{" + ", ".join("0" if b == 4 else "1" for b in range(12)) + "}"
        assert ds.tags(5)["bbl"] == "0" and ds.tags(4)["bbl"] == "1"
