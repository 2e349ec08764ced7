"""Listing a delivery's files: a ZIP, a folder inside it, and a single file inside it (no folder)."""

import zipfile

from fusion_core.products.archive import list_files


def _zip(tmp_path):
    path = tmp_path / "delivery.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("PROD/image-SPECTRAL_IMAGE.TIF", b"tif")
        z.writestr("PROD/METADATA.XML", b"<x/>")
    return path


def test_a_zip_and_a_folder_inside_it_list_their_files(tmp_path):
    path = _zip(tmp_path)
    assert list_files(str(path)).names == ("PROD/image-SPECTRAL_IMAGE.TIF", "PROD/METADATA.XML")
    inside = list_files(f"/vsizip/{path}/PROD")
    assert inside.names == ("image-SPECTRAL_IMAGE.TIF", "METADATA.XML")
    assert inside.gdal("METADATA.XML") == f"/vsizip/{path}/PROD/METADATA.XML"


def test_a_file_inside_a_zip_is_no_folder(tmp_path):
    assert list_files(f"/vsizip/{_zip(tmp_path)}/PROD/image-SPECTRAL_IMAGE.TIF") is None
