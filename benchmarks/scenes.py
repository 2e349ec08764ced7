"""Real hyperspectral scenes of ``../shared/data`` and the seeds' simulation protocol.

Every cube is its own ground truth: clipped at zero (bands left constant are dropped) and
divided by its maximum (as in
``../shared/docs/REFERENCE_NUMBERS.md``), cropped at the top-left to a multiple of the ratio.
Wald's protocol, as in UDALN and M2U-Net: the LR-HSI is the reference blurred by an isotropic
Gaussian PSF of size r and FWHM r on disjoint r×r blocks (stride r); the HR-MSI is the reference
times a real sensor SRF sampled at the HSI band centres by linear interpolation, columns
normalised to sum one. The MSI bands are those of the sensor that the scene's wavelengths cover
(listed per scene below).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np
import scipy.io as sio

from fusion_core.degradation import DegradationModel, motion_psf, sensor_psf, spatial_degrade
from fusion_core.srf import normalize_srf, read_srf_csv

#: The real scenes: ``../shared/data`` beside the checkout, or ``$HSI_FUSION_SHARED_DATA``.
SHARED = Path(os.environ.get("HSI_FUSION_SHARED_DATA")
              or Path(__file__).resolve().parents[1].parent / "shared" / "data")

S2_NO_CIRRUS = ("B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8", "B8A", "B9", "B11", "B12")
WV_VNIR = ("Blue", "Green", "Yellow", "Red", "RedEdge", "NIR1")
# Water-vapour absorption and the noisy ends, dropped from the full-range AVIRIS cube.
AVIRIS_BAD_NM = ((0, 400), (1340, 1450), (1790, 1970), (2450, 3000))


@dataclass(frozen=True)
class SceneSpec:
    """Where a scene's cube is and which MSI sensor simulates its HR-MSI."""

    file: str
    srf_csv: str
    msi_bands: tuple[str, ...]
    description: str
    #: Multiply the stored integers by this to get surface reflectance (None: not reflectance).
    reflectance_scale: Optional[float] = None


SCENES: dict[str, SceneSpec] = {
    "jasper_ridge": SceneSpec("jasper_ridge_aviris_100x100x198.mat", "srf_sentinel2a_msi.csv",
                              S2_NO_CIRRUS, "AVIRIS Jasper Ridge 100×100×198, 380–2500 nm", 1e-4),
    "pavia_centre": SceneSpec("pavia_centre_rosis_abu_beach4_100x100x102.mat", "srf_worldview2.csv",
                              WV_VNIR, "ROSIS Pavia Centre 100×100×102, 430–860 nm"),
    "enmap_potsdam": SceneSpec("enmap_potsdam_l2a_crops_224b.mat", "srf_sentinel2a_msi.csv",
                               S2_NO_CIRRUS, "EnMAP L2A Potsdam 64×128×218 good bands", 1e-4),
    "aviris_santa_barbara": SceneSpec("aviris_santa_barbara_90x90x224.mat", "srf_sentinel2a_msi.csv",
                                      S2_NO_CIRRUS, "AVIRIS Santa Barbara 90×90, water bands dropped",
                                      1e-4),
    "samson": SceneSpec("samson_95x95x156.mat", "srf_worldview3_vnir.csv", WV_VNIR,
                        "SAMSON 95×95×156, 401–889 nm"),
    "hydice_urban": SceneSpec("hydice_urban_crop_100x80x162.mat", "srf_sentinel2a_msi.csv",
                              S2_NO_CIRRUS, "HYDICE Urban 100×80×162, 400–2500 nm"),
}


#: The benchmark's Wald-protocol runs: four scenes at r = 4, the two large enough at r = 8.
#: AVIRIS Santa Barbara, HYDICE Urban and Pavia University are left out on purpose: they are
#: the training scenes of the pretrained methods (UAL, UAO), which are never tested on them.
BENCHMARK_RUNS: dict[int, tuple[str, ...]] = {
    4: ("jasper_ridge", "pavia_centre", "enmap_potsdam", "samson"),
    8: ("jasper_ridge", "pavia_centre"),
}


@dataclass
class Scene:
    """A reference cube ``(C, H, W)`` with its band centres (and widths, when stored) in nm."""

    name: str
    cube: np.ndarray
    wavelengths: np.ndarray
    spec: SceneSpec
    fwhm: Optional[np.ndarray] = None


def _wavelengths(mat: dict, n: int, name: str) -> np.ndarray:
    for key in ("wavelengths_nm", "wavelengths_nm_nominal"):
        if key in mat:
            return np.asarray(mat[key], dtype=np.float64).ravel()
    ranges = {"pavia_centre": (430.0, 860.0), "hydice_urban": (400.0, 2500.0)}
    return np.linspace(*ranges[name], n)  # nominal ranges from SOURCES.md


def load_scene(name: str, shared: Path = SHARED, reflectance: bool = False) -> Scene:
    """Load a scene of :data:`SCENES`, clipped at 0 and divided by its maximum, band-first.

    ``reflectance=True`` keeps physical surface reflectance instead (the stored integers times
    the scene's ``reflectance_scale``), for products that carry real units.
    """
    spec = SCENES[name]
    mat = sio.loadmat(shared / spec.file)
    cube = np.asarray(mat["cube_a" if name == "enmap_potsdam" else "cube"], dtype=np.float64)
    wl = _wavelengths(mat, cube.shape[2], name)
    keep = np.ones(wl.size, dtype=bool)
    if name == "enmap_potsdam":
        keep &= np.asarray(mat["good_band"]).ravel().astype(bool)
    if name == "aviris_santa_barbara":
        for lo, hi in AVIRIS_BAD_NM:
            keep &= ~((wl >= lo) & (wl < hi))
    cube = np.clip(cube, 0.0, None)
    keep &= cube.reshape(-1, cube.shape[2]).std(axis=0) > 0  # bands left constant by clipping
    cube = cube[:, :, keep].transpose(2, 0, 1)
    fwhm = np.asarray(mat["fwhm_nm"], dtype=np.float64).ravel()[keep] if "fwhm_nm" in mat else None
    if reflectance:
        if spec.reflectance_scale is None:
            raise ValueError(f"Scene {name} is not stored as reflectance.")
        return Scene(name, cube * spec.reflectance_scale, wl[keep], spec, fwhm)
    return Scene(name, cube / cube.max(), wl[keep], spec, fwhm)


def sampled_srf(scene: Scene, shared: Path = SHARED,
                shift_nm: float = 0.0) -> tuple[np.ndarray, tuple[str, ...]]:
    """The scene's MSI SRF sampled at the HSI band centres (linear interpolation), columns sum 1.

    ``shift_nm`` moves every curve of the published table (a sensor that is not the table).
    """
    table = read_srf_csv(shared / "srf" / scene.spec.srf_csv).select(scene.spec.msi_bands)
    srf = np.column_stack([np.interp(scene.wavelengths, table.wavelengths + shift_nm, col, left=0.0, right=0.0)
                           for col in table.responses.T])
    return normalize_srf(srf, table.band_names), table.band_names


@dataclass
class SimulatedScene:
    """A Wald's-protocol pair with its reference and true degradation model."""

    name: str
    scale: int
    reference: np.ndarray
    lr_hsi: np.ndarray
    hr_msi: np.ndarray
    model: DegradationModel


def wald_pair(scene: Scene, scale: int, psf: Optional[np.ndarray] = None,
              srf: Optional[np.ndarray] = None, snr_db: Optional[float] = None,
              seed: int = 0) -> SimulatedScene:
    """Simulate LR-HSI and HR-MSI from ``scene`` at ratio ``scale`` (Wald's protocol by default).

    ``psf`` and ``srf`` replace the protocol's Gaussian r×r PSF and sampled sensor SRF (for the
    harder protocols); ``snr_db`` adds noise to both images.
    """
    from fusion_core.degradation import simulate_pair

    c, h, w = scene.cube.shape
    ref = scene.cube[:, : h - h % scale, : w - w % scale]
    true_srf, names = sampled_srf(scene) if srf is None else (srf, None)
    model = DegradationModel(scale, sensor_psf(scale, float(scale), size=scale) if psf is None else psf,
                             true_srf, scene.wavelengths, list(names) if names else None)
    lr, hr = simulate_pair(ref, model, snr_db=snr_db, seed=seed)
    return SimulatedScene(scene.name, scale, ref.astype(np.float32), lr, hr, model)


#: The harder protocol's PSFs, larger than r and not Gaussian-isotropic (r = ratio), each with
#: its centre of mass on the centre of its LR pixel's block, as a sensor's PSF is: a shifted PSF is
#: a misregistration between the sensors, which the real Hyperion/ALI pair tests.
HARD_PSFS = {
    "motion": lambda r: motion_psf(2 * r + 4 - r % 2, 1.5 * r, 30.0, width_fwhm=0.5 * r),
    "aniso": lambda r: sensor_psf(r, (1.6 * r, 0.7 * r), size=2 * r + 4, angle_deg=60.0),
}


def hard_pair(scene: Scene, scale: int, psf_kind: str, seed: int = 0) -> SimulatedScene:
    """The harder protocol: a motion-blur or anisotropic PSF larger than r, the true SRF 10 nm
    off the published table, and 30 dB noise on both images."""
    srf, names = sampled_srf(scene, shift_nm=10.0)
    pair = wald_pair(scene, scale, psf=HARD_PSFS[psf_kind](scale), srf=srf, snr_db=30.0, seed=seed)
    pair.name = f"{scene.name} ({psf_kind} PSF, SRF +10 nm, 30 dB)"
    return pair


def paris_real_pair(shared: Path = SHARED) -> SimulatedScene:
    """Hyperion with the *real* EO-1 ALI image of the same place (REFERENCE_NUMBERS.md): the
    LR-HSI is Hyperion blurred by a 5×5 Gaussian of FWHM 3 and decimated by 3; the HR-MSI is the
    real ALI image, so radiometry, registration and PSF differ from any model."""
    import torch

    mat = sio.loadmat(shared / "paris_hyperion_ali_real.mat")
    ref = mat["hs_ms_HS"].astype(np.float64).transpose(2, 0, 1)
    ali = mat["hs_ms_MS"].astype(np.float32).transpose(2, 0, 1)
    wl = mat["hyperion_wavelengths_nm_nominal"].ravel().astype(np.float64)
    model = DegradationModel(3, sensor_psf(3, 3.0, size=5), mat["ali_srf_on_hs_bands"].T, wl)
    lr = spatial_degrade(torch.from_numpy(ref)[None], model.psf, 3)[0].numpy().astype(np.float32)
    return SimulatedScene("paris_hyperion_ali (real ALI)", 3, ref.astype(np.float32), lr, ali, model)
