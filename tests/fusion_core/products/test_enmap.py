"""EnMAP L2A deliveries read through open_input, in every form a user has them: the portal's ZIP,
its folder, its METADATA.XML, its spectral image (also as /vsizip/ paths and _COG names)."""

from __future__ import annotations

import shutil
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from affine import Affine

from benchmarks.deliveries.enmap import product_name, write_enmap_l2a
from fusion_core.errors import InputError
from fusion_core.io import read_raster
from fusion_core.products import open_input

ACQUIRED = "2022-07-24T10:31:05Z"
GRID = Affine(30.0, 0.0, 368000.0, 0.0, -30.0, 5810000.0)
CRS = "EPSG:32633"
BANDS = 20


def _cube(bands: int = BANDS, height: int = 12, width: int = 10) -> np.ndarray:
    rng = np.random.default_rng(7)
    cube = rng.uniform(0.02, 0.6, (bands, height, width)).astype(np.float32)
    cube[:, 0, 0] = np.nan  # a nodata pixel, as outside the swath
    return cube


WAVELENGTHS = np.linspace(418.24, 2445.53, BANDS)
FWHM = np.linspace(6.99, 10.5, BANDS)


def _write(folder: Path, cube=None, **kwargs) -> Path:
    cube = _cube() if cube is None else cube
    return write_enmap_l2a(folder, cube, kwargs.pop("wavelengths", WAVELENGTHS),
                           kwargs.pop("fwhm", FWHM), GRID, CRS, ACQUIRED, **kwargs)


def _forms(tmp_path: Path) -> dict[str, str]:
    name = product_name(ACQUIRED)
    archive = _write(tmp_path / "zip")
    folder = _write(tmp_path / "folder", zipped=False)
    cog = _write(tmp_path / "cog", zipped=False, cog_naming=True)
    return {
        "portal ZIP": str(archive),
        "folder": str(folder),
        "METADATA.XML": str(folder / f"{name}-METADATA.XML"),
        "SPECTRAL_IMAGE.TIF": str(folder / f"{name}-SPECTRAL_IMAGE.TIF"),
        "SPECTRAL_IMAGE_COG.tiff": str(cog / f"{name}-SPECTRAL_IMAGE_COG.tiff"),
        "COG folder": str(cog),
        "/vsizip/ METADATA.XML": f"/vsizip/{archive}/{name}/{name}-METADATA.XML",
        "/vsizip/ SPECTRAL_IMAGE": f"/vsizip/{archive}/{name}/{name}-SPECTRAL_IMAGE.TIF",
        "/vsizip/ product folder": f"/vsizip/{archive}/{name}",
        "folder holding the ZIP": str(tmp_path / "zip"),
    }


def test_every_form_of_a_delivery_reads_the_same_reflectance_wavelengths_and_fwhm(tmp_path):
    """Wavelengths to the 4 decimals the product VRT carries."""
    cube = _cube()
    for form, source in _forms(tmp_path).items():
        delivery = open_input(source, "LR-HSI")
        raster = read_raster(delivery.dataset, "LR-HSI")
        assert delivery.product == "EnMAP L2A", form
        assert raster.data.shape == cube.shape, form
        np.testing.assert_allclose(raster.data, cube, atol=0.5e-4, err_msg=form)  # int16 × 1e-4
        np.testing.assert_allclose(raster.wavelengths, WAVELENGTHS, atol=5e-5, err_msg=form)
        np.testing.assert_allclose(raster.fwhm, FWHM, atol=5e-5, err_msg=form)
        assert tuple(raster.grid.transform)[:6] == tuple(GRID)[:6], form


def test_the_acquisition_start_is_read_in_utc(tmp_path):
    delivery = open_input(str(_write(tmp_path)), "LR-HSI")
    assert delivery.acquired == ACQUIRED


def test_clouds_read_as_nan_by_default_and_not_when_no_class_is_asked(tmp_path):
    cloud = np.zeros((12, 10), np.uint8)
    cloud[3:5, 4:7] = 1
    source = str(_write(tmp_path, masks={"QL_QUALITY_CLOUD": cloud}))

    masked = read_raster(open_input(source, "LR-HSI").dataset, "LR-HSI").data
    kept = read_raster(open_input(source, "LR-HSI", classes=frozenset()).dataset, "LR-HSI").data

    assert np.isnan(masked[:, 3:5, 4:7]).all()
    assert np.isfinite(kept[:, 3:5, 4:7]).all()
    assert np.isfinite(masked[:, 6:, :]).all()  # clear pixels stay


def test_water_is_left_out_only_when_asked_and_only_where_the_classes_say_water(tmp_path):
    classes = np.ones((12, 10), np.uint8)
    classes[8:, :] = 2  # water
    classes[:, 9] = 3  # background outside the swath: not water
    source = str(_write(tmp_path, masks={"QL_QUALITY_CLASSES": classes}))

    default = read_raster(open_input(source, "LR-HSI").dataset, "LR-HSI").data
    water = read_raster(open_input(source, "LR-HSI", classes=frozenset({"water"})).dataset,
                        "LR-HSI").data

    assert np.isfinite(default[:, 8:, :9]).all()
    assert np.isnan(water[:, 8:, :9]).all()
    assert np.isfinite(water[:, 1:8, :]).all()


def test_a_class_whose_layer_is_absent_is_skipped_with_a_note(tmp_path):
    folder = _write(tmp_path, zipped=False)
    (folder / f"{folder.name}-QL_QUALITY_CIRRUS.TIF").unlink()

    delivery = open_input(str(folder), "LR-HSI")

    assert "QL_QUALITY_CIRRUS" not in delivery.masks
    assert "QL_QUALITY_CLOUD" in delivery.masks
    assert any("cirrus" in note and "no QL_QUALITY_CIRRUS" in note for note in delivery.notes)


@pytest.mark.parametrize("level, why", [("L1B", "not orthorectified"), ("L1C", "radiance")])
def test_an_l1b_or_l1c_delivery_is_refused_naming_l2a(tmp_path, level, why):
    source = _write(tmp_path, level=level)
    with pytest.raises(InputError, match=rf"EnMAP {level} product.*{why}.*Order the scene as L2A"):
        open_input(str(source), "LR-HSI")


def test_a_zip_holding_no_product_is_refused(tmp_path):
    archive = tmp_path / "scenes.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("readme.txt", "nothing here")
    with pytest.raises(InputError, match="holds no product"):
        open_input(str(archive), "LR-HSI")


def test_an_enmap_named_zip_without_its_product_is_refused(tmp_path):
    archive = tmp_path / f"{product_name(ACQUIRED)}.ZIP"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("readme.txt", "nothing here")
    with pytest.raises(InputError, match="holds no EnMAP product"):
        open_input(str(archive), "LR-HSI")


def test_the_portal_archive_itself_is_refused_with_what_to_give(tmp_path):
    archive = tmp_path / "dims_op_oc_oc-en_701306802_1.tar.gz"
    with tarfile.open(archive, "w:gz"):
        pass
    with pytest.raises(InputError, match=r"Extract it.*ENMAP\.HSI\.L2A"):
        open_input(str(archive), "LR-HSI")


def test_a_spectral_image_without_its_metadata_is_refused(tmp_path):
    folder = _write(tmp_path, zipped=False)
    image = tmp_path / f"{folder.name}-SPECTRAL_IMAGE.TIF"
    shutil.copy(folder / image.name, image)
    with pytest.raises(InputError, match="METADATA.XML is not beside it"):
        open_input(str(image), "LR-HSI")


def test_real_enmap_l2a_wavelengths_and_fwhm_come_through(tmp_path, shared_data):
    """The 224 bands of a real L2A product (Potsdam, 2022-07-24), its nodata bands included."""
    mat = shared_data / "enmap_potsdam_l2a_crops_224b.mat"
    if not mat.is_file():
        pytest.skip(f"{mat.name} is not in the shared data")
    from scipy.io import loadmat

    real = loadmat(mat)
    wavelengths = real["wavelengths_nm"].ravel().astype(float)
    fwhm = real["fwhm_nm"].ravel().astype(float)
    stored = np.moveaxis(real["cube_a"][:8, :6, :], -1, 0).astype(np.float32)  # (224, 8, 6)
    cube = np.where(stored == float(real["nodata"].ravel()[0]), np.nan, stored * 1e-4)

    delivery = open_input(str(_write(tmp_path, cube, wavelengths=wavelengths, fwhm=fwhm)),
                          "LR-HSI")
    raster = read_raster(delivery.dataset, "LR-HSI")

    np.testing.assert_allclose(raster.wavelengths, wavelengths, atol=5e-5)
    np.testing.assert_allclose(raster.fwhm, fwhm, atol=5e-5)
    np.testing.assert_allclose(raster.data, cube, atol=0.5e-4)
    empty = [k for k in range(224) if np.isnan(raster.data[k]).all()]
    assert empty == list(range(129, 135))  # the real product's nodata bands


def test_a_raster_derived_from_the_product_is_read_as_it_is(tmp_path):
    """EnMAP-Box writes its import beside the product (``…-SPECTRAL_IMAGE.vrt``): that file, or
    any other not named as the product's own, is the user's raster, not the product."""
    folder = _write(tmp_path, zipped=False)
    derived = folder / f"{folder.name}-SPECTRAL_IMAGE_subset.tif"
    shutil.copy(folder / f"{folder.name}-SPECTRAL_IMAGE.TIF", derived)

    delivery = open_input(str(derived), "LR-HSI")

    assert not delivery.is_product
    assert delivery.dataset == str(derived)
