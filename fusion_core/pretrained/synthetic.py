"""Synthetic training pairs for pretrained fusion networks, as the UAL paper builds them.

A reference HR-HSI (a real scene, never a benchmark scene) is degraded with a random Gaussian
PSF (size and standard deviation drawn from the paper's ranges), a real sensor's SRF shifted
and stretched at random, and white noise; the pair is then brought to the subspace layout of
:mod:`.subspace` exactly as a method does at test time, and cut into random patches.

The paper's kernel ranges (size 5–15, std 0.5–2 HR pixels) are for its ratio 8 on CAVE, where
they are narrower than the LR pixel. Here they are read as the ranges at ratio 4 and scaled
linearly with the ratio (a kernel never smaller than r), so Wald's protocol (FWHM = r,
std ≈ 0.42 r) lies inside them at every ratio.

Noise: the SNR ranges reach 70 dB (practically clean) so the networks also see inputs without
noise; trained on 30–55 dB only, UAL's fusion module learned to smooth and lost about 2 dB on
clean synthetic pairs of its own training scenes.

Functions take arrays and SRF tables; none reads files.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch

from ..degradation import DegradationModel, add_noise, sensor_psf, simulate_pair
from ..errors import InputError
from ..srf import SrfTable, resample_srf
from .subspace import DEFAULT_K, SubspaceAdapter

__all__ = ["DegradationRanges", "TrainingExample", "covered_bands", "random_psf", "perturbed_srf",
           "synthetic_pair", "training_example", "random_patches"]

_FWHM_PER_STD = 2.0 * np.sqrt(2.0 * np.log(2.0))


@dataclass(frozen=True)
class DegradationRanges:
    """Ranges the random degradations are drawn from (uniformly).

    Attributes:
        kernel_size: PSF size in HR pixels at ``reference_ratio`` (scaled by ``r / reference_ratio``).
        kernel_std: PSF standard deviation in HR pixels at ``reference_ratio`` (scaled likewise).
        reference_ratio: the ratio the two ranges above are given for.
        srf_shift_nm: each MSI band is shifted by up to ± this many nm.
        srf_stretch: each MSI band is widened or narrowed about its centre by up to ± this fraction.
        hsi_snr_db: SNR range of the noise added to the LR-HSI.
        msi_snr_db: SNR range of the noise added to the HR-MSI.
    """

    kernel_size: tuple[float, float] = (5.0, 15.0)
    kernel_std: tuple[float, float] = (0.5, 2.0)
    reference_ratio: int = 4
    srf_shift_nm: float = 10.0
    srf_stretch: float = 0.1
    hsi_snr_db: tuple[float, float] = (30.0, 70.0)
    msi_snr_db: tuple[float, float] = (35.0, 70.0)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class TrainingExample:
    """One synthetic scene in the subspace layout, tensors ``(K, H, W)`` on the HR grid.

    Attributes:
        guidance: the MSI guidance.
        upsampled: the LR-HSI's coefficients, bicubically upsampled.
        target: the reference's coefficients (what the network should output).
        spread: ``(K,)`` coefficient spreads, to weigh a loss in the scene's units.
        decoder: ``(C, K)`` map from a coefficient error to the error in every band
            (basis × spread), for a loss on all bands.
        band_peak: ``(C,)`` each band's maximum in the reference, to weigh bands as the
            per-band PSNR does.
    """

    guidance: torch.Tensor
    upsampled: torch.Tensor
    target: torch.Tensor
    spread: torch.Tensor
    decoder: torch.Tensor
    band_peak: torch.Tensor


def random_psf(rng: np.random.Generator, scale: int, ranges: DegradationRanges = DegradationRanges()) -> np.ndarray:
    """An isotropic Gaussian PSF centred on the LR block, size and std drawn from ``ranges``."""
    factor = scale / ranges.reference_ratio
    size = int(round(rng.uniform(*ranges.kernel_size) * factor))
    std = rng.uniform(*ranges.kernel_std) * factor
    return sensor_psf(scale, std * _FWHM_PER_STD, size=max(size, scale))


def covered_bands(table: SrfTable, wavelengths: np.ndarray) -> SrfTable:
    """``table`` restricted to the bands the HSI's wavelengths cover (see :func:`resample_srf`).

    Raises:
        InputError: no band of the table is covered.
    """
    keep = []
    for name in table.band_names:
        try:
            resample_srf(table.select([name]), wavelengths)
            keep.append(name)
        except InputError:
            continue
    if not keep:
        raise InputError(
            f"No band of {table.name} lies inside the HSI's wavelengths "
            f"({np.min(wavelengths):.0f}–{np.max(wavelengths):.0f} nm): choose another sensor."
        )
    return table.select(keep)


def perturbed_srf(table: SrfTable, wavelengths: np.ndarray, rng: np.random.Generator,
                  ranges: DegradationRanges = DegradationRanges()) -> np.ndarray:
    """The SRF ``(C, M)`` of ``table`` with every band shifted and stretched at random.

    Band ``m`` with centre ``c`` responds at ``λ`` as the table does at
    ``c + (λ - c - shift) / stretch``. Columns sum to one.
    """
    grid = np.arange(table.wavelengths[0] - 3 * ranges.srf_shift_nm,
                     table.wavelengths[-1] + 3 * ranges.srf_shift_nm, 1.0)
    columns = []
    for centre, curve in zip(table.centres(), table.responses.T):
        shift = rng.uniform(-ranges.srf_shift_nm, ranges.srf_shift_nm)
        stretch = 1.0 + rng.uniform(-ranges.srf_stretch, ranges.srf_stretch)
        source = centre + (grid - centre - shift) / stretch
        columns.append(np.interp(source, table.wavelengths, curve, left=0.0, right=0.0))
    moved = SrfTable(table.name, grid, np.column_stack(columns), table.band_names)
    return resample_srf(moved, wavelengths)


def synthetic_pair(cube: np.ndarray, wavelengths: np.ndarray, table: SrfTable, scale: int,
                   rng: np.random.Generator, ranges: DegradationRanges = DegradationRanges()
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, DegradationModel]:
    """Degrade a reference ``(C, H, W)`` with a random PSF, perturbed SRF and noise.

    The reference is cropped at the top-left to a multiple of ``scale``. ``table`` should hold
    only bands the wavelengths cover (:func:`covered_bands`).

    Returns:
        ``(reference, lr_hsi, hr_msi, model)``: float32 arrays and the true model.
    """
    c, h, w = cube.shape
    reference = np.ascontiguousarray(cube[:, : h - h % scale, : w - w % scale], dtype=np.float64)
    model = DegradationModel(scale, random_psf(rng, scale, ranges), perturbed_srf(table, wavelengths, rng, ranges),
                             wavelengths, list(table.band_names))
    lr_hsi, hr_msi = simulate_pair(reference, model)
    lr_hsi = add_noise(lr_hsi, rng.uniform(*ranges.hsi_snr_db), rng)
    hr_msi = add_noise(hr_msi, rng.uniform(*ranges.msi_snr_db), rng)
    return reference.astype(np.float32), lr_hsi, hr_msi, model


def training_example(reference: np.ndarray, lr_hsi: np.ndarray, hr_msi: np.ndarray,
                     model: DegradationModel, k: int = DEFAULT_K) -> TrainingExample:
    """A synthetic pair in the subspace layout, fitted from the pair alone as at test time."""
    lr, hr = torch.from_numpy(lr_hsi), torch.from_numpy(hr_msi)
    adapter = SubspaceAdapter.fit(lr, hr, model.psf, model.scale, k)
    guidance, upsampled = adapter.network_inputs(lr, hr)
    ref = torch.from_numpy(reference)[None]
    peak = ref.amax(dim=(0, 2, 3)).clamp_min(1e-6)
    return TrainingExample(guidance[0], upsampled[0], adapter.encode(ref)[0], adapter.spread,
                           adapter.basis * adapter.spread, peak)


def random_patches(example: TrainingExample, size: int, count: int, rng: np.random.Generator
                   ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``count`` random ``size × size`` patches, randomly flipped and rotated, of the guidance,
    upsampled LR-HSI and target, each ``(count, K, size, size)``.

    Raises:
        InputError: the example is smaller than a patch.
    """
    _, h, w = example.target.shape
    if size > min(h, w):
        raise InputError(f"Patches of {size}×{size} do not fit a {h}×{w} training scene: use smaller patches.")
    stack = torch.cat([example.guidance, example.upsampled, example.target])
    patches = []
    for _ in range(count):
        i, j = rng.integers(0, h - size + 1), rng.integers(0, w - size + 1)
        patch = torch.rot90(stack[:, i : i + size, j : j + size], int(rng.integers(4)), dims=(1, 2))
        patches.append(patch.flip(2) if rng.random() < 0.5 else patch)
    batch = torch.stack(patches)
    first, second, third = batch.chunk(3, dim=1)
    return first, second, third
