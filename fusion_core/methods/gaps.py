"""Windows with gaps: how a method that needs whole images is given one where pixels are missing.

A window of a real product has nodata (a tilted swath, a tile's corner, a cloud mask): NaN in
the LR-HSI, the HR-MSI or both. Methods compute on whole images, so before they see a window
its gaps are given values; those values never reach the output (the window task writes NaN
there). :func:`fuse_with_gaps` gives a method its window in one of two ways, chosen by the
method (:attr:`~fusion_core.methods.base.FusionMethod.handles_gaps`):

* :func:`fill_pairs` (any method): each LR pixel that is not valid together with its whole HR
  block takes, with its block, the values of the nearest one that is, so every LR pixel and HR
  block a method sees is a real, consistent pair, and the spectral relations it learns are not
  biased by invented ones. The price: the HR-MSI next to a gap is replaced by copies, so the
  LR pixels at the gap's edge no longer see their real surroundings.
* :func:`fill_invalid` on each image alone, with :func:`support_valid` telling a mask-aware
  method which LR pixels it may fit and check against (SSCF): the HR-MSI keeps every real
  pixel, and the invented LR values are never used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import numpy as np
import torch
from scipy.ndimage import distance_transform_edt

from ..degradation import spatial_degrade

if TYPE_CHECKING:
    from ..degradation import DegradationModel
    from ..progress import Progress
    from .base import FusionConfig, FusionMethod

__all__ = ["fuse_with_gaps", "fill_pairs", "fill_invalid", "bridge_pairs", "fill_gaps", "support_valid", "valid_pixels",
           "finite_pixels"]


def fuse_with_gaps(method: "FusionMethod", lr_hsi: torch.Tensor, hr_msi: torch.Tensor,
                   model: "DegradationModel", config: "FusionConfig", progress: "Progress") -> torch.Tensor:
    """``method.fuse`` on a window whose missing pixels are NaN. The result's values where the
    inputs are missing do not matter (the caller masks them); what matters is that the gaps do
    not spoil the valid pixels: a method that ``handles_gaps`` is given them as they are, any
    other sees each gap bridged (:func:`bridge_pairs`)."""
    if not method.handles_gaps:
        lr_hsi, hr_msi = bridge_pairs(lr_hsi, hr_msi, model.scale)
    return method.fuse(lr_hsi, hr_msi, model, config, progress)


def fill_pairs(lr: np.ndarray, hr: np.ndarray, scale: int) -> tuple[np.ndarray, np.ndarray]:
    """LR ``(C, h, w)`` and HR ``(M, r h, r w)`` images where each LR pixel not valid together
    with its whole HR block takes, with its block, the values of the nearest one that is."""
    r = scale
    h, w = lr.shape[1:]
    blocks_ok = np.all(np.isfinite(hr), axis=0).reshape(h, r, w, r).all(axis=(1, 3))
    joint = np.all(np.isfinite(lr), axis=0) & blocks_ok
    if joint.all():
        return lr, hr
    if not joint.any():
        return fill_invalid(lr), fill_invalid(hr)
    rows, cols = distance_transform_edt(~joint, return_distances=False, return_indices=True)
    hr_rows = np.repeat(rows, r, axis=0) * r + (np.arange(h * r) % r)[:, None]
    hr_cols = np.repeat(cols, r, axis=1) * r + (np.arange(w * r) % r)[None, :]
    hr_rows, hr_cols = np.repeat(hr_rows, r, axis=1), np.repeat(hr_cols, r, axis=0)
    return (np.ascontiguousarray(lr[:, rows, cols]),
            np.ascontiguousarray(hr[:, hr_rows, hr_cols]))


def fill_invalid(image: np.ndarray) -> np.ndarray:
    """``image`` ``(C, H, W)`` with each pixel invalid in some band given the values of the
    nearest pixel valid in every band (for a method's computation, never for the output)."""
    ok = np.all(np.isfinite(image), axis=0)
    if ok.all():
        return image
    if not ok.any():
        return np.zeros_like(image)
    rows, cols = distance_transform_edt(~ok, return_distances=False, return_indices=True)
    return np.ascontiguousarray(image[:, rows, cols])


def bridge_pairs(lr_hsi: torch.Tensor, hr_msi: torch.Tensor, scale: int) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`fill_pairs` on tensors, on their device (the tensors themselves when whole)."""
    if bool(torch.isfinite(lr_hsi).all()) and bool(torch.isfinite(hr_msi).all()):
        return lr_hsi, hr_msi
    lr, hr = fill_pairs(lr_hsi.cpu().numpy(), hr_msi.cpu().numpy(), scale)
    return torch.from_numpy(lr).to(lr_hsi.device), torch.from_numpy(hr).to(hr_msi.device)


def fill_gaps(image: torch.Tensor) -> torch.Tensor:
    """:func:`fill_invalid` on a tensor ``(C, H, W)``, on its device."""
    return torch.from_numpy(fill_invalid(image.cpu().numpy())).to(image.device)


def support_valid(lr_ok: torch.Tensor, hr_ok: torch.Tensor, psf: np.ndarray | torch.Tensor,
                  scale: int, edge_valid: bool = True, outside_share: float = 1e-9) -> torch.Tensor:
    """``(h, w)`` LR pixels valid in ``lr_ok`` whose PSF footprint lies on valid HR pixels of
    ``hr_ok`` ``(H, W)``: the pixels where the degradation model can be checked. Beyond the
    image's edge, HR pixels count as valid (the reflected borders of
    :func:`~fusion_core.degradation.spatial_degrade`) unless ``edge_valid`` is False. A pixel
    may have at most ``outside_share`` of its PSF's weight on invalid HR pixels."""
    kernel = torch.as_tensor(psf, dtype=torch.float64).abs()
    invalid = (~hr_ok).double()[None, None]
    if not edge_valid:  # a margin of whole LR pixels, invalid, that the kernel cannot see past
        pad = scale * -(-max(kernel.shape) // scale)
        invalid = torch.nn.functional.pad(invalid, (pad,) * 4, value=1.0)
    reach = spatial_degrade(invalid, kernel, scale)[0, 0]
    if not edge_valid:
        cut = pad // scale
        reach = reach[cut:reach.shape[0] - cut, cut:reach.shape[1] - cut]
    return lr_ok & (reach <= outside_share * float(kernel.sum()))


def finite_pixels(image: torch.Tensor) -> torch.Tensor:
    """``(h, w)``: the pixels of an image ``(C, h, w)`` finite in every band. On the CPU through
    numpy: torch reduces the ``(C, h, w)`` mask over its first axis 15× slower (70 ms for a
    window of 198 bands, 208² LR pixels, against 4 ms)."""
    if image.device.type == "cpu":
        return torch.from_numpy(np.isfinite(image.detach().numpy()).all(0))
    return torch.isfinite(image).all(0)


def valid_pixels(image: torch.Tensor, valid: Optional[torch.Tensor]) -> torch.Tensor:
    """The pixels of ``valid`` ``(h, w)`` of an image ``(C, h, w)`` as an image ``(C, n, 1)``
    (the whole image when None): what per-pixel estimators (noise, maps, subspace) are fitted on.
    On the CPU through numpy (``np.compress``: a third of the time of torch's indexing by a mask)."""
    if valid is None:
        return image
    if image.device.type == "cpu" and not image.requires_grad:
        flat = image.reshape(image.shape[0], -1).numpy()
        return torch.from_numpy(np.compress(valid.reshape(-1).numpy(), flat, axis=1))[:, :, None]
    return image[:, valid][:, :, None]
