"""SRF tables from CSV files (a wavelength_nm column, then one column per band)."""

import numpy as np
import pytest

from fusion_core.errors import InputError
from fusion_core.srf import load_preset, read_srf_csv


def test_shared_sentinel2_csv_matches_the_pyrsr_preset(shared_data):
    table = read_srf_csv(shared_data / "srf" / "srf_sentinel2a_msi.csv")
    preset = load_preset("sentinel-2a")
    assert table.band_names == preset.band_names
    assert np.allclose(table.centres(), preset.centres(), atol=1.0)


def test_a_small_csv_is_read_in_column_order(tmp_path):
    path = tmp_path / "camera.csv"
    path.write_text("wavelength_nm,R,G,B\n400,0,0,1\n500,0,1,0.5\n600,1,0.2,0\n", encoding="utf-8")
    table = read_srf_csv(path)
    assert table.band_names == ("R", "G", "B") and table.name == "camera"
    assert np.allclose(table.wavelengths, [400, 500, 600])
    assert np.allclose(table.responses[:, 2], [1, 0.5, 0])


@pytest.mark.parametrize("text, message", [
    ("lambda,R\n400,1\n500,2\n", "must start with a 'wavelength_nm' column"),
    ("wavelength_nm,R\n400,1\n500,x\n", "non-numeric value"),
    ("wavelength_nm,R\n400,1\n400,1\n", "wavelengths must increase strictly"),
    ("wavelength_nm,R,G\n400,1,0\n500,1,0\n", "band\\(s\\) G have no positive response"),
])
def test_malformed_files_say_what_is_wrong(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        read_srf_csv(path)


def test_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="Cannot read the SRF file"):
        read_srf_csv(tmp_path / "absent.csv")
