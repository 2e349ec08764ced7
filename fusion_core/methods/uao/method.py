"""UAO: unsupervised alternating optimisation for blind hyperspectral fusion (Nie et al.)."""

from __future__ import annotations

import torch

from ...degradation import DegradationModel
from ...progress import Progress
from ..common import TrainedMethod, TrainingOutcome
from ..layers import SpaDnet, SpeDnet, srf_support
from ..ual.pretrained import rough_estimate
from .alternating import alternate
from .networks import ReconstructionNet
from .pretrained import load_pretrained_reconstruction
from .settings import PRESETS, UAOSchedule

__all__ = ["UAO", "BACKBONE_SHARE"]

#: Share of the progress bar given to the rough estimate (subspace fit and backbone).
BACKBONE_SHARE = 0.05


class UAO(TrainedMethod):
    """UAO (J. Nie, L. Zhang, W. Wei, Z. Lang, Y. Zhang, "Unsupervised Alternating Optimization
    for Blind Hyperspectral Imagery Super-resolution", arXiv preprint,
    2020; Northwestern Polytechnical University).

    1. Rough estimate Ẑ = F(X, Y) by the pretrained backbone F, the mutual-guiding fusion
       module of UAL (the paper's ref. [31], supplement §6.1), shared with the UAL method.
    2. Alternating optimisation (eq. 7, supplement §6.3): per outer iteration, the PSF k and
       SRF P are fitted to the current image with the image fixed, then the compact
       reconstruction network G (Fig. 2b), guided by k and P and fed with Ẑ, is fitted so that
       its output, degraded with k and P, gives back both inputs. L1 losses, Adam.
    3. G starts from a meta-learned (MAML) initialisation trained on synthetic degradations of
       real scenes (``scripts/pretrain_uao.py``); k and P start from the given degradation model
       (the paper's "default kernel and spectral response matrix", here the engine's blind
       estimate), as the supplement §6.2 says the degradation layers are not meta-learned.

    Spectral layout: the networks work on the K spectral-subspace coefficients of the scene's own
    LR-HSI (:class:`fusion_core.pretrained.SubspaceAdapter`), so any band count is served; every
    loss acts on full bands through the subspace's decoder.

    Presets: ``"paper"`` is the supplement's schedule (40 outer × 10 inner iterations, rates
    1e-4 / 1e-3), about 40 s on one CPU core for a 100×100×198 scene at r = 4; ``"fast"`` runs
    half the alternations. Options (``config.options``): ``outer_iters``, ``inner_iters``,
    ``lr_degradation``, ``lr_reconstruction``, ``psf_l2``, ``srf_l2``, ``pretrained`` (False:
    G from torch's default initialisation with its last layer at zero, i.e. starting from Ẑ).

    After :meth:`fuse`, :attr:`last_degradation` holds the PSF and SRF the loop ended with.
    """

    name = "uao"
    presets = PRESETS
    #: G's four 3×3 convolutions and the backbone's receptive field reach about 20 HR pixels.
    halo_lr_pixels = 6
    #: Measured by ``benchmarks/memory.py``.
    memory_factor = 28.0

    def train(self, y: torch.Tensor, z: torch.Tensor, scale: int, model: DegradationModel,
              schedule: UAOSchedule, progress: Progress) -> TrainingOutcome:
        device = y.device
        progress.update(0.0, "UAO: rough estimate by the pretrained backbone")
        backbone, adapter, rough, outside = rough_estimate(y, z, model.psf, scale)
        k = backbone.k
        net = load_pretrained_reconstruction(k, device) if schedule.pretrained else ReconstructionNet(k).to(device)
        spa = SpaDnet(model.psf, scale).to(device)
        spe = SpeDnet(model.srf, srf_support(model.srf)).to(device)

        def decode(coefficients: torch.Tensor) -> torch.Tensor:
            return adapter.decode(coefficients) + outside

        image, results = alternate(net, rough, decode, adapter.basis * adapter.spread, spa, spe, y, z,
                                   schedule, progress.child(BACKBONE_SHARE, 1.0))
        return TrainingOutcome(image[0], spa.psf.detach(), spe.srf.detach(), results)
