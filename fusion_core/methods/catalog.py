"""The fusion methods' identities, in the (frozen) order of the QGIS METHOD enum.

Data only (no method, no torch): :mod:`fusion_core.methods` looks methods up here, and
:mod:`.base` finds a method's entry here without importing the package that loads methods.
New methods are appended, never reordered: scripts and models refer to methods by index.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MethodEntry", "CATALOG"]


@dataclass(frozen=True)
class MethodEntry:
    """A method's identity: how it is named and shown, and where it lives.

    Attributes:
        id: stable id (files, the CLI, the benchmarks); the class's ``name``.
        short_name: how messages and logs name the method.
        label: the entry of the QGIS METHOD list.
        summary: one paragraph of help: what the method does and how long it takes.
        cls: the class's name in ``<id>/method.py``.
    """

    id: str
    short_name: str
    label: str
    summary: str
    cls: str


CATALOG: tuple[MethodEntry, ...] = (
    MethodEntry(
        "sscf", "SSCF", "Default: SSCF spectral mapping + subspace consistency (fast)",
        "Fast closed-form fusion: learns a linear spectral map from the MSI bands to the HSI "
        "bands at low resolution (global, then local), applies it to the HR-MSI, and corrects "
        "the result so that, blurred and decimated by the PSF, it reproduces the LR-HSI. "
        "Co-registers the two sensors to a fraction of a pixel and adapts to their noise.",
        "SSCF"),
    MethodEntry(
        "udaln", "UDALN", "UDALN (Li et al., GRSL 2022)",
        "Unsupervised blind fusion by degradation-adaptive learning: learns the PSF and SRF from "
        "the two inputs, learns a per-pixel spectral map from the low-resolution MSI to the "
        "LR-HSI, then refines all three so the fused image reproduces both inputs, and applies "
        "the map to the HR-MSI. Three-stage training; 'fast' takes about a minute on a CPU for a "
        "100×100 window, 'paper' (the authors' 65k iterations) hours.",
        "UDALN"),
    MethodEntry(
        "m2unet", "M2U-Net", "M2U-Net (Li et al., TGRS 2024)",
        "Unsupervised blind fusion in three stages: learns the PSF and SRF from the two inputs, "
        "learns two spectral maps from the low-resolution MSI to the LR-HSI and applies them to "
        "the HR-MSI for an initial image, then fits a dual U-Net deep image prior, guided by the "
        "HR-MSI through cross-attention, so that its output reproduces both inputs. 'fast' takes "
        "a few minutes on a CPU for a 100×100 window, 'paper' (the authors' 24k iterations with "
        "260 feature maps) about a day on a CPU: use a GPU.",
        "M2UNet"),
    MethodEntry(
        "stable_vae", "Stable VAE", "Stable lightweight VAE fusion (Guo et al., CVPR 2023)",
        "Blind fusion by a tiny variational autoencoder under the spectral mixing prior: it maps "
        "each HR-MSI pixel to endmember abundances and decodes a spectrum, while a Gaussian PSF "
        "and a Gaussian-mixture SRF are estimated in the same EM-style loop, each guiding the "
        "other; the decoders are then fine-tuned alone. 'fast' starts from the estimated "
        "degradation and takes about a minute on a CPU for a 100×100 window; 'paper' "
        "estimates it from the paper's initialisation with the authors' schedule.",
        "StableVAE"),
    MethodEntry(
        "ual", "UAL", "UAL (Zhang et al., CVPR 2020)",
        "Unsupervised adaptation learning: a fusion network pretrained on synthetic pairs from "
        "real scenes gives a rough fused image, then a light adaptation module and a one-layer "
        "degradation network are trained on the two inputs so the result reproduces both. "
        "The paper assumes a known SRF; here it is the SRF of the blind estimate (or of the "
        "given degradation model). Works on the scene's spectral subspace, so any band count is "
        "accepted. 'fast' takes a few minutes on a CPU for a 100×100 window, 'paper' (1500 "
        "epochs) longer.",
        "UAL"),
    MethodEntry(
        "uao", "UAO", "UAO blind alternating optimisation (Nie et al.)",
        "Blind fusion by alternating optimisation: a pretrained backbone gives a rough image; "
        "then the PSF and SRF are refined on the current image and a small meta-learned "
        "reconstruction network, guided by the PSF and SRF, is refined so that its output "
        "reproduces both inputs, in turns. Works on the scene's own spectral subspace (any "
        "band count). About half a minute on a CPU for a 100×100 window.",
        "UAO"),
    MethodEntry(
        "glp_hs", "GLP-HS", "GLP-HS classical baseline (Selva et al., JSTARS 2015)",
        "The classical hyper-sharpening baseline of the literature and of pansharpening-style "
        "tools: a synthetic HR band per HSI band (regressed on the MSI bands at low resolution), "
        "whose details above the HSI's resolution (the generalised Laplacian pyramid with the "
        "PSF as its low-pass) are added to the interpolated LR-HSI. No options, deterministic, "
        "about as fast as the default; put next to the default method's result to see what "
        "the rest of the pipeline adds.",
        "GLPHS"),
)
