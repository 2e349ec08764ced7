"""Tests of fusion_core.io.sidecars through read_raster: an EnMAP or DESIS product's metadata file
beside its image gives the wavelengths (and EnMAP's gains), matched by band count."""

import numpy as np

from fusion_core.io import read_raster, read_raster_info

STEM = "ENMAP01-____L2A-DT0000001867_20220724T104526Z_008_V010302_20230628T165614Z"
WL = [418.24, 423.87, 429.29, 2445.53]
FWHM = [6.99, 6.77, 6.61, 8.0]


def enmap_xml(wavelengths=WL, fwhm=FWHM, gain="0.0001") -> str:
    """A METADATA.XML in the DLR layout (as EnPT writes it): band characterisation under
    ``specific``, and per-band statistics (also ``bandID`` elements) under ``product``."""
    chars = "".join(
        f'<bandID number="{i}"><wavelengthCenterOfBand>{w}</wavelengthCenterOfBand>'
        f"<FWHMOfBand>{f}</FWHMOfBand><GainOfBand>{gain}</GainOfBand>"
        f"<OffsetOfBand>0</OffsetOfBand></bandID>"
        for i, (w, f) in enumerate(zip(wavelengths, fwhm), 1))
    stats = "".join(f'<bandID number="{i}"><wavelength>{w}</wavelength><mean>1200</mean>'
                    "<stdDeviation>300</stdDeviation></bandID>"
                    for i, w in enumerate(wavelengths, 1))
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<level_X>'
            f"<metadata><schema><processingLevel>L2A</processingLevel></schema>"
            f"<name>{STEM}-METADATA.XML</name></metadata>"
            f"<specific><code>L2A</code><bandCharacterisation>{chars}</bandCharacterisation>"
            f"</specific><product><bandStatistics>{stats}</bandStatistics></product></level_X>")


def test_enmap_metadata_xml_gives_wavelengths_fwhm_and_gains(tmp_path, product, dn):
    stored = dn(4)
    stored[:, 0] = -32768
    image = product(tmp_path / f"{STEM}-SPECTRAL_IMAGE.TIF", stored, nodata=-32768)
    (tmp_path / f"{STEM}-METADATA.XML").write_text(enmap_xml())
    raster = read_raster(image, "LR-HSI")
    np.testing.assert_allclose(raster.wavelengths, WL)
    np.testing.assert_allclose(raster.fwhm, FWHM)
    assert raster.wavelength_source == f"EnMAP {STEM}-METADATA.XML"
    np.testing.assert_allclose(raster.data[:, 1:], stored[:, 1:] * 1e-4, rtol=1e-6)
    assert np.isnan(raster.data[:, 0]).all()
    assert raster.describe_radiometry() == (
        f"int16 \u00d7 0.0001 (EnMAP {STEM}-METADATA.XML), nodata \u221232768 (all 4 bands)")


def test_bands_in_xml_order_of_their_numbers(tmp_path, product, dn):
    xml = enmap_xml().replace('number="1"', 'number="X"').replace('number="4"', 'number="1"') \
        .replace('number="X"', 'number="4"')
    product(tmp_path / f"{STEM}-SPECTRAL_IMAGE.TIF", dn(4))
    (tmp_path / f"{STEM}-METADATA.XML").write_text(xml)
    info = read_raster_info(tmp_path / f"{STEM}-SPECTRAL_IMAGE.TIF")
    np.testing.assert_allclose(info.wavelengths, [WL[3], WL[1], WL[2], WL[0]])


def test_gdal_scale_and_wavelengths_win_over_the_xml(tmp_path, product, dn):
    tags = [{"wavelength": str(w), "wavelength_units": "nm"} for w in (500, 600, 700, 800)]
    image = product(tmp_path / f"{STEM}-SPECTRAL_IMAGE_COG.TIF", dn(4), scales=[2e-4] * 4,
                    band_tags=tags)
    (tmp_path / f"{STEM}-METADATA.XML.XML").write_text(enmap_xml())
    raster = read_raster(image)
    np.testing.assert_allclose(raster.wavelengths, [500, 600, 700, 800])
    assert raster.radiometry[0].scale == 2e-4 and raster.radiometry[0].source == "GDAL"


def test_an_xml_for_another_band_count_is_not_used_and_the_log_says_why(tmp_path, product, dn):
    image = product(tmp_path / f"{STEM}-SPECTRAL_IMAGE.TIF", dn(3))
    (tmp_path / f"{STEM}-METADATA.XML").write_text(enmap_xml())
    info = read_raster_info(image)
    assert info.wavelengths is None and info.radiometry[0].scale == 1.0
    assert info.wavelength_source == (f"none (EnMAP {STEM}-METADATA.XML beside the image lists 4 "
                                      "bands but the image has 3: not used)")


def test_desis_metadata_xml_gives_wavelengths_only(tmp_path, product, dn):
    stem = "DESIS-HSI-L2A-DT0483531728_001-20200808T050536-V0215"
    bands = "".join(f"<band><bandNumber>{i}</bandNumber><wavelengthCenterOfBand>{w}"
                    f"</wavelengthCenterOfBand><wavelengthWidthOfBand>3.5</wavelengthWidthOfBand>"
                    f"<gainOfBand>0.0001</gainOfBand></band>"
                    for i, w in enumerate((402.1, 404.6, 407.2), 1))
    (tmp_path / f"{stem}-METADATA.xml").write_text(
        f"<hsi_doc><specific><bandCharacterisation>{bands}</bandCharacterisation></specific>"
        "</hsi_doc>")
    image = product(tmp_path / f"{stem}-SPECTRAL_IMAGE.tif", dn(3))
    raster = read_raster(image)
    np.testing.assert_allclose(raster.wavelengths, [402.1, 404.6, 407.2])
    np.testing.assert_allclose(raster.fwhm, [3.5] * 3)
    assert raster.wavelength_source == f"DESIS {stem}-METADATA.xml"
    assert raster.radiometry[0].scale == 1.0


def test_an_envi_header_beside_a_geotiff(tmp_path, product, dn):
    image = product(tmp_path / "scene.tif", dn(3))
    (tmp_path / "scene.hdr").write_text("ENVI\nwavelength units = nm\nwavelength = {450, 550, 650}\n")
    info = read_raster_info(image)
    np.testing.assert_allclose(info.wavelengths, [450, 550, 650])
    assert info.wavelength_source == "ENVI header scene.hdr"
