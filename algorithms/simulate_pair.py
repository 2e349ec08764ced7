"""hsifusion:simulatepair — an LR-HSI/HR-MSI pair from a reference HR-HSI (Wald's protocol)."""

from __future__ import annotations

from qgis.core import (
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
)

from .base import FusionAlgorithm
from .qgis_compat import DOUBLE, INTEGER
from .request_parameters import request_from_parameters, request_parameters


class SimulatePair(FusionAlgorithm):
    ID = "simulatepair"
    LABEL = "Simulate LR-HSI / HR-MSI pair"
    GROUP = "evaluation"
    HELP = (
        "Degrades a reference high-resolution hyperspectral image into the two inputs of fusion, "
        "so that fusion methods can be evaluated against the reference (Wald's protocol).<br>"
        "<b>LR-HSI</b>: the reference blurred by the PSF and sampled every SCALE pixels (LR pixel "
        "= SCALE × HR pixel, same origin and CRS; the reference is cropped to a multiple of "
        "SCALE).<br><b>HR-MSI</b>: the reference integrated by the SRF of a multispectral sensor "
        "(SENSOR, a preset, or SRF_FILE, a CSV with a <i>wavelength_nm</i> column and one column per band), "
        "resampled onto the reference's band wavelengths.<br>"
        "<b>PSF</b>: a Gaussian of the given FWHM in HR pixels (default: SCALE), centred on each "
        "LR pixel, or a kernel file (square matrix as CSV/text or .npy).<br>"
        "<b>SNR</b>: optional white noise, in dB, added to both images.<br>"
        "TRUE_DEGRADATION optionally saves the PSF/SRF used, in the format 'Blind fusion' reads."
    )

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(QgsProcessingParameterRasterLayer(
            "REFERENCE", self.tr("Reference HR hyperspectral image (with band wavelengths)")))
        self.addParameter(QgsProcessingParameterNumber(
            "SCALE", self.tr("Resolution ratio (SCALE)"), INTEGER,
            defaultValue=4, minValue=2, maxValue=64))
        for parameter in request_parameters(("sensor", "srf_file", "msi_bands")):
            self.addParameter(parameter)
        self.addParameter(QgsProcessingParameterNumber(
            "PSF_FWHM", self.tr("Gaussian PSF FWHM in HR pixels (default: SCALE)"),
            DOUBLE, optional=True, minValue=0.1))
        self.addParameter(QgsProcessingParameterFile(
            "PSF_FILE", self.tr("PSF kernel file (replaces the Gaussian)"), optional=True))
        self.addParameter(QgsProcessingParameterNumber(
            "SNR", self.tr("Noise SNR in dB (empty: no noise)"), DOUBLE,
            optional=True))
        self.addParameter(self.advanced(QgsProcessingParameterNumber(
            "SEED", self.tr("Random seed"), INTEGER, defaultValue=0)))
        self.addParameter(QgsProcessingParameterRasterDestination("LR_HSI", self.tr("LR-HSI")))
        self.addParameter(QgsProcessingParameterRasterDestination("HR_MSI", self.tr("HR-MSI")))
        self.addParameter(QgsProcessingParameterFileDestination(
            "TRUE_DEGRADATION", self.tr("True degradation model"), "JSON files (*.json)",
            optional=True, createByDefault=False))

    def execute(self, parameters, context, feedback, progress):
        from ..fusion_core.pipeline import simulate_pair_files

        lr_path = self.parameterAsOutputLayer(parameters, "LR_HSI", context)
        hr_path = self.parameterAsOutputLayer(parameters, "HR_MSI", context)
        model_path = self.parameterAsFileOutput(parameters, "TRUE_DEGRADATION", context) or None
        fwhm = parameters.get("PSF_FWHM")
        snr = parameters.get("SNR")
        simulate_pair_files(
            self.raster_path(parameters, "REFERENCE", context), lr_path, hr_path,
            scale=self.parameterAsInt(parameters, "SCALE", context),
            srf_source=request_from_parameters(self, parameters, context,
                                               ("sensor", "srf_file", "msi_bands")).srf_source,
            psf_fwhm=self.parameterAsDouble(parameters, "PSF_FWHM", context) if fwhm not in (None, "") else None,
            psf_kernel_path=self.parameterAsFile(parameters, "PSF_FILE", context) or None,
            snr_db=self.parameterAsDouble(parameters, "SNR", context) if snr not in (None, "") else None,
            seed=self.parameterAsInt(parameters, "SEED", context),
            model_path=model_path, progress=progress,
        )
        return {"LR_HSI": lr_path, "HR_MSI": hr_path, "TRUE_DEGRADATION": model_path}
