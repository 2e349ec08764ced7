"""Sample pixels: the scene's most different materials, before and after fusion."""

import numpy as np

from fusion_core.degradation import DegradationModel
from fusion_core.report.samples import sample_pixels, sample_spectra


def test_the_four_samples_are_four_different_materials():
    plane = np.array([[3.0, 0.0], [-2.0, 0.0], [0.0, 1.5], [0.0, -1.0]])   # PC 1 ends, PC 2 ends
    spectra = (plane @ np.array([[1.0, 0.5, 0.0, 0.2], [0.0, 0.3, 1.0, -0.4]])).T + 5.0  # (4 bands, 4)
    labels = np.repeat(np.arange(4), 4).reshape(4, 4)               # one material per row
    image = spectra[:, labels]                                      # (4, 4, 4)
    picked = sample_pixels(image)
    assert sorted({labels[r, c] for r, c in picked}) == [0, 1, 2, 3]


def test_spectra_are_read_at_the_centre_of_each_lr_block():
    model = DegradationModel(2, np.ones((2, 2)), np.ones((3, 1)), msi_gain=[2.0])
    lr = np.arange(12.0).reshape(3, 2, 2)
    fused = np.arange(48.0).reshape(3, 4, 4)
    hr = np.full((1, 4, 4), 8.0)
    (sample,) = sample_spectra(lr, hr, fused, model, [(1, 0)])
    assert sample["hr_pixel"] == [3, 1]
    assert sample["fused"] == fused[:, 3, 1].tolist() and sample["hr_msi"] == [4.0]
