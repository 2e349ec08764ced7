"""Integer-ratio bilinear upsampling against torch's interpolate."""

import pytest
import torch
import torch.nn.functional as F

from fusion_core.spectral.upsample import upsample_bilinear


@pytest.mark.parametrize("scale", [1, 2, 3, 4, 5])
def test_matches_interpolate(scale):
    maps = torch.randn(3, 7, 9, dtype=torch.float64, generator=torch.Generator().manual_seed(scale))
    expected = F.interpolate(maps[None], scale_factor=scale, mode="bilinear", align_corners=False)[0]
    assert torch.allclose(upsample_bilinear(maps, scale), expected, rtol=0, atol=1e-12)


def test_writes_into_the_given_buffer():
    maps = torch.randn(2, 4, 5)
    out = torch.full((2, 12, 15), float("nan"))
    result = upsample_bilinear(maps, 3, out=out)
    assert result.data_ptr() == out.data_ptr()
    expected = F.interpolate(maps[None], scale_factor=3, mode="bilinear", align_corners=False)[0]
    assert torch.allclose(out, expected, atol=1e-6)


def test_single_pixel_maps_are_constant_blocks():
    maps = torch.tensor([[[2.0]], [[-1.0]]])
    assert torch.equal(upsample_bilinear(maps, 3), maps.expand(2, 3, 3))
