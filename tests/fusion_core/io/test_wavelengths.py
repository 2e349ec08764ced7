"""Tests of fusion_core.io.wavelengths: band centres from GDAL metadata in its spellings and
domains, from PRISMA's metadata items, and from what a user types or points to."""

import numpy as np
import pytest

from fusion_core.errors import InputError
from fusion_core.io import parse_wavelengths, read_raster_info

NM = [443.0, 490.5, 560.0, 665.0]


@pytest.mark.parametrize("units", ["Micrometers", "micrometers", "um", "\u00b5m", "\u03bcm",
                                   "microns", ""])
def test_band_wavelengths_in_micrometres_are_read_in_nm(tmp_path, product, dn, units):
    tags = [{"wavelength": str(w / 1000), "wavelength_units": units} for w in NM]
    info = read_raster_info(product(tmp_path / "um.tif", dn(4), band_tags=tags))
    np.testing.assert_allclose(info.wavelengths, NM)
    assert info.wavelength_source == "band metadata 'wavelength'"


def test_envi_domain_listing_an_alpha_band_too_gives_the_data_bands(tmp_path, product, dn):
    envi = {"wavelength": "{0.443, 0.4905, 0.56, 0}", "fwhm": "{0.02, 0.065, 0.035, 0}",
            "wavelength_units": "Micrometers"}
    alpha = np.full((12, 16), 255, np.int16)
    info = read_raster_info(product(tmp_path / "envi.tif", dn(3), alpha=alpha, envi=envi))
    np.testing.assert_allclose(info.wavelengths, NM[:3])
    np.testing.assert_allclose(info.fwhm, [20, 65, 35])
    assert info.wavelength_source == "ENVI metadata domain"


def test_gdal_imagery_domain_central_wavelength_um(tmp_path, product, dn):
    imagery = [{"CENTRAL_WAVELENGTH_UM": str(w / 1000), "FWHM_UM": "0.03"} for w in NM]
    info = read_raster_info(product(tmp_path / "imagery.tif", dn(4), imagery=imagery))
    np.testing.assert_allclose(info.wavelengths, NM)
    np.testing.assert_allclose(info.fwhm, [30.0] * 4)
    assert info.wavelength_source.startswith("IMAGERY metadata domain")


def test_prisma_lists_without_their_unused_zero_bands(tmp_path, product, dn):
    tags = {"List_Cw_Vnir": "0 560.5 490.25 0", "List_Fwhm_Vnir": "0 11 12 0",
            "List_Cw_Swir": "1650 0 2200", "List_Fwhm_Swir": "9 0 10"}
    info = read_raster_info(product(tmp_path / "prisma.tif", dn(4), tags=tags))
    np.testing.assert_allclose(info.wavelengths, [560.5, 490.25, 1650, 2200])
    np.testing.assert_allclose(info.fwhm, [11, 12, 9, 10])
    assert info.wavelength_source == "PRISMA metadata List_Cw_Vnir/Swir"


def test_prisma_vnir_cube_alone(tmp_path, product, dn):
    tags = {"List_Cw_Vnir": "700 600 500", "List_Cw_Swir": "1650 2200"}
    info = read_raster_info(product(tmp_path / "vnir.tif", dn(3), tags=tags))
    np.testing.assert_allclose(info.wavelengths, [700, 600, 500])


def test_a_raster_without_wavelengths_has_none(tmp_path, product, dn):
    info = read_raster_info(product(tmp_path / "plain.tif", dn(2)))
    assert info.wavelengths is None and info.fwhm is None
    assert info.wavelength_source == "none found"


@pytest.mark.parametrize("text, expected", [
    ("443, 490.5, 560, 665", NM),
    ("0.443 0.4905 0.56 0.665", NM),
    ("443;490.5;560;665", NM),
])
def test_a_typed_list_in_nm_or_um(text, expected):
    spectral = parse_wavelengths(text, 4)
    np.testing.assert_allclose(spectral.wavelengths, expected)
    assert spectral.fwhm is None and spectral.source == "WAVELENGTHS setting"


@pytest.mark.parametrize("name, content, fwhm", [
    ("bands.csv", "band,wavelength_um,fwhm\nB1,0.443,0.02\nB2,0.4905,0.065\n"
                  "B3,0.56,0.035\nB4,0.665,0.03\n", [20, 65, 35, 30]),
    ("wl.txt", "# band centres, nm\n443\n490.5\n560\n665\n", None),
    ("cube.hdr", "ENVI\nbands = 4\nwavelength units = Micrometers\n"
                 "wavelength = {\n 0.443, 0.4905,\n 0.56, 0.665}\nfwhm = {0.02, 0.02, 0.02, 0.02}\n",
     [20] * 4),
], ids=["CSV with wavelength and fwhm columns", "one value per line", "ENVI header"])
def test_a_wavelength_file(tmp_path, name, content, fwhm):
    (tmp_path / name).write_text(content)
    spectral = parse_wavelengths(str(tmp_path / name), 4)
    np.testing.assert_allclose(spectral.wavelengths, NM)
    if fwhm is None:
        assert spectral.fwhm is None
    else:
        np.testing.assert_allclose(spectral.fwhm, fwhm)
    assert spectral.source == f"WAVELENGTHS file {name}"


def test_a_wrong_count_names_both_counts():
    with pytest.raises(InputError, match=r"WAVELENGTHS gives 3 values but the LR-HSI has 4 bands"):
        parse_wavelengths("443, 490, 560", 4)


@pytest.mark.parametrize("make, message", [
    (lambda d: "443, blue, 560", r"has 'blue', which is not a number"),
    (lambda d: str(d / "missing.csv"), r"wavelength file .*missing\.csv does not exist"),
    (lambda d: (d / "t.csv").write_text("band,centre\nB1,443\n") and str(d / "t.csv"),
     r"columns band, centre but none named 'wavelength'"),
    (lambda d: (d / "t.csv").write_text("1,443\n2,490\n") and str(d / "t.csv"),
     r"several columns and no header"),
    (lambda d: "  ", r"WAVELENGTHS is empty"),
])
def test_unusable_wavelengths_are_refused_with_a_fix(tmp_path, make, message):
    with pytest.raises(InputError, match=message):
        parse_wavelengths(make(tmp_path), 1)
