"""The requests of the jobs besides fusion: estimate a pair's degradation, simulate a pair, score
a result. Each is declared like :class:`~fusion_core.request.FusionRequest` (a
:class:`~fusion_core.params.Param` per field), from which the QGIS algorithm's parameters, the
command's arguments and the messages' names are generated; a setting fusion has too is
:func:`~fusion_core.params.shared` with it (same key, flag, help and default).

Example::

    from fusion_core.job_requests import MetricsRequest
    from fusion_core.pipeline import metrics_files
    metrics_files(MetricsRequest("reference.tif", "fused.tif", scale=3))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from .params import Caller, Request, param, shared
from .request import FusionRequest, SrfSettings

__all__ = ["EstimationRequest", "SimulationRequest", "MetricsRequest"]


@dataclass(frozen=True)
class EstimationRequest(SrfSettings):
    """Blind estimation of a pair's PSF and SRF, written as a model file (and a plot in QGIS).

    The pair's settings are fusion's (:attr:`fusion` is the request the estimate is made for),
    so the model fits the fusion of the same pair.
    """

    lr_hsi: str = shared(FusionRequest, "lr_hsi")
    hr_msi: str = shared(FusionRequest, "hr_msi")
    model: str = param("", key="OUTPUT", label="Degradation model",
                       help="The degradation model to write (JSON), which 'Blind fusion' accepts as "
                            "DEGRADATION.", kind="file_out", extension="json", cli="")
    sensor: Optional[str] = shared(FusionRequest, "sensor")
    srf_file: Optional[str] = shared(FusionRequest, "srf_file")
    msi_bands: tuple[str, ...] = shared(FusionRequest, "msi_bands")
    wavelengths: str = shared(FusionRequest, "wavelengths")
    resample_hr_msi: bool = shared(FusionRequest, "resample_hr_msi")
    coregister: bool = shared(FusionRequest, "coregister")
    max_memory_gb: float = shared(FusionRequest, "max_memory_gb")
    psf_size: int = param(0, key="PSF_SIZE", label="PSF support in HR pixels (0: choose automatically)",
                          help="Edge of the estimated PSF in HR pixels; 0 chooses it from the data.",
                          kind="integer", minimum=0, advanced=True)
    plot: Optional[str] = param(
        None, key="PLOT", label="Plot of PSF and SRF",
        help="A PNG with the PSF, the SRF curves and the consistency residual between the two "
             "low-resolution MSIs (small and structure-free when the model is right).",
        kind="file_out", optional=True, extension="png", create_by_default=True, on_cli=False)
    caller: Caller = field(default="python", compare=False)

    def __post_init__(self) -> None:
        self.parse_text()
        self.check_declared()
        self.check_srf()

    @property
    def fusion(self) -> FusionRequest:
        """The fusion request of the pair (its other settings at their defaults)."""
        pair = {name: getattr(self, name) for name, _ in self.fields()
                if name in dict(FusionRequest.fields())}
        return FusionRequest(caller=self.caller, **pair)


@dataclass(frozen=True)
class SimulationRequest(SrfSettings):
    """An LR-HSI and an HR-MSI simulated from a reference HR-HSI (Wald's protocol)."""

    reference: str = param("", key="REFERENCE",
                           label="Reference HR hyperspectral image (with band wavelengths)",
                           help="The reference HR-HSI, with its band wavelengths in its metadata; "
                                "it is cropped to a multiple of SCALE (same origin).",
                           kind="raster_in", cli="", product=False)
    lr_hsi: str = param("", key="LR_HSI", label="LR-HSI",
                        help="The reference blurred by the PSF and sampled every SCALE pixels "
                             "(LR pixel = SCALE × HR pixel, same origin and CRS).",
                        kind="raster_out", cli="")
    hr_msi: str = param("", key="HR_MSI", label="HR-MSI",
                        help="The reference integrated by the SRF of a multispectral sensor, on "
                             "the reference's grid.", kind="raster_out", cli="")
    scale: int = param(4, key="SCALE", label="Resolution ratio (SCALE)",
                       help="The LR pixel's edge in HR pixels.", kind="integer", minimum=2,
                       maximum=64)
    sensor: Optional[str] = shared(FusionRequest, "sensor")
    srf_file: Optional[str] = shared(FusionRequest, "srf_file")
    msi_bands: tuple[str, ...] = shared(FusionRequest, "msi_bands")
    psf_fwhm: Optional[float] = param(
        None, key="PSF_FWHM", label="Gaussian PSF FWHM in HR pixels (default: SCALE)",
        help="The PSF: a Gaussian of this FWHM in HR pixels centred on each LR pixel (default: "
             "SCALE).", kind="number", minimum=0.1, optional=True)
    psf_file: Optional[str] = param(
        None, key="PSF_FILE", label="PSF kernel file (replaces the Gaussian)",
        help="A PSF kernel instead of the Gaussian: a square matrix as CSV/text or .npy.",
        kind="file_in", optional=True)
    snr_db: Optional[float] = param(
        None, key="SNR", label="Noise SNR in dB (empty: no noise)",
        help="White noise of this signal-to-noise ratio (dB) added to both images; none when empty.",
        kind="number", optional=True, cli="--snr")
    seed: int = param(0, key="SEED", label="Random seed",
                      help="Seed of the noise: the same seed gives the same pair.", kind="integer",
                      advanced=True)
    true_degradation: Optional[str] = param(
        None, key="TRUE_DEGRADATION", label="True degradation model",
        help="The PSF and SRF used, in the format 'Blind fusion' reads (JSON).", kind="file_out",
        optional=True, extension="json", cli="--model")
    caller: Caller = field(default="python", compare=False)

    def __post_init__(self) -> None:
        self.parse_text()
        self.check_declared()
        self.check_srf()


@dataclass(frozen=True)
class MetricsRequest(Request):
    """Quality metrics of an estimate against a reference of the same size and bands."""

    reference: str = param("", key="REFERENCE", label="Reference image",
                           help="The reference image.", kind="raster_in", cli="", product=False)
    estimate: str = param("", key="ESTIMATE", label="Fused (estimated) image",
                          help="The image to score, of the reference's size and bands.",
                          kind="raster_in", cli="", product=False)
    scale: int = param(4, key="SCALE", label="Resolution ratio (for ERGAS)",
                       help="The resolution ratio of the fusion, which ERGAS is scaled by.",
                       kind="integer", minimum=1)
    report: Optional[str] = param(
        None, key="REPORT", label="Report", help="The metrics written as a text table.",
        kind="file_out", optional=True, extension="txt md")
    caller: Caller = field(default="python", compare=False)

    def __post_init__(self) -> None:
        self.check_declared()
