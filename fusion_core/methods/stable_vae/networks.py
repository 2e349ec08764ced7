"""The fusion module of Guo et al. (CVPR 2023): a tiny variational autoencoder over spectra.

Supplement, section D and Table 1: an encoder of five 1×1 convolutions, each followed by a leaky
ReLU, turns the HR-MSI into abundances of a fixed set of endmembers, with the HR-MSI concatenated
to the features before every layer after the first (widths 4, 8, 16, 24, then 16 abundances for
all datasets). Two decoders of two fully connected layers each (FC + leaky ReLU, FC + ReLU) map
the abundances to the mean and the standard deviation of the HR-HSI spectrum (the spectral mixing
prior: the decoders play the endmembers). Every layer acts on one pixel at a time, which is what
makes the module light and lets it be trained at low resolution and applied at high resolution.

Gaps the supplement leaves, filled as follows:

* Hidden width of the decoders. Table 1 gives 24 for 31 bands (CAVE/Harvard), 64 for 128 bands
  (Chikusei) and 18 for 8 bands (WorldView-2). :func:`decoder_width` is the one simple rule that
  reproduces all three, ``max(C / 2, E + C / 4)`` with E = 16 endmembers, rounded up.
* Activation of the last encoder layer. Table 1 says leaky ReLU, the authors' code a ReLU; the
  table is the specification, so leaky ReLU (slope 0.2, the authors' code's value).
* Activation of the mean decoder's last layer. Table 1 says ReLU, the authors' code a leaky
  ReLU. With a ReLU, every output band whose unit starts negative on all pixels never receives
  a gradient: on a 198-band scene about a fifth of the bands stayed at zero. The mean decoder
  therefore ends in a leaky ReLU, as in the authors' code; the standard-deviation decoder keeps
  the table's ReLU (a standard deviation is non-negative, and a unit stuck at zero is the value
  the L1 training drives it to anyway).
* Initialisation: torch's defaults, which is what the authors' code ends up with (its
  ``init_weights`` never applies its initialiser).

The 1×1 convolutions and per-pixel FC layers are computed as linear layers over the band axis:
the same maps, faster on a CPU.
"""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["ENDMEMBERS", "AbundanceEncoder", "SpectralDecoder", "VAEFusion", "decoder_width"]

#: Number of endmembers (abundance maps), 16 for every dataset of Table 1.
ENDMEMBERS = 16
#: Output widths of the first four encoder layers (Table 1); the fifth outputs the abundances.
ENCODER_WIDTHS = (4, 8, 16, 24)
#: Negative slope of the leaky ReLUs (the authors' code).
LEAKY_SLOPE = 0.2


def decoder_width(hsi_bands: int, endmembers: int = ENDMEMBERS) -> int:
    """Hidden width of each decoder for ``hsi_bands`` output bands (24 for 31, 64 for 128, 18 for 8)."""
    return max(math.ceil(hsi_bands / 2), endmembers + math.ceil(hsi_bands / 4))


class AbundanceEncoder(nn.Module):
    """Encoder of Table 1: five per-pixel layers, the MSI concatenated before layers 2 to 5.

    Args:
        msi_bands: M, bands of the multispectral input.
        endmembers: number of abundance maps out.

    Shape:
        ``(B, M, H, W)`` → ``(B, E, H, W)``.
    """

    def __init__(self, msi_bands: int, endmembers: int = ENDMEMBERS) -> None:
        super().__init__()
        widths = (*ENCODER_WIDTHS, endmembers)
        inputs = (msi_bands, *(w + msi_bands for w in widths[:-1]))
        self.layers = nn.ModuleList(nn.Linear(i, o) for i, o in zip(inputs, widths))
        self.act = nn.LeakyReLU(LEAKY_SLOPE)

    def forward(self, msi: torch.Tensor) -> torch.Tensor:
        pixels = msi.movedim(1, -1)
        features = self.act(self.layers[0](pixels))
        for layer in self.layers[1:]:
            features = self.act(layer(torch.cat([features, pixels], dim=-1)))
        return features.movedim(-1, 1)


class SpectralDecoder(nn.Module):
    """One decoder of Table 1: FC + leaky ReLU, then FC + ``output`` activation.

    Args:
        endmembers: E, abundances in.
        hsi_bands: C, bands out.
        output: activation of the last layer.

    Shape:
        ``(B, E, H, W)`` → ``(B, C, H, W)``.
    """

    def __init__(self, endmembers: int, hsi_bands: int, output: nn.Module) -> None:
        super().__init__()
        width = decoder_width(hsi_bands, endmembers)
        self.layers = nn.Sequential(
            nn.Linear(endmembers, width), nn.LeakyReLU(LEAKY_SLOPE), nn.Linear(width, hsi_bands), output
        )

    def forward(self, abundances: torch.Tensor) -> torch.Tensor:
        return self.layers(abundances.movedim(1, -1)).movedim(-1, 1)


class VAEFusion(nn.Module):
    """The fusion module: MSI pixels → abundances → Gaussian over HSI spectra.

    :meth:`forward` returns the mean and standard deviation of the spectrum at each pixel;
    :meth:`sample` draws from them with the reparameterisation trick (the authors' code draws
    ``mean + std · ε``, ε standard normal, during training).

    Args:
        msi_bands: M, bands of the multispectral input.
        hsi_bands: C, bands of the hyperspectral output.
        endmembers: number of abundance maps.

    Shape:
        ``(B, M, H, W)`` → two ``(B, C, H, W)`` tensors.
    """

    def __init__(self, msi_bands: int, hsi_bands: int, endmembers: int = ENDMEMBERS) -> None:
        super().__init__()
        self.encoder = AbundanceEncoder(msi_bands, endmembers)
        self.decoder_mean = SpectralDecoder(endmembers, hsi_bands, nn.LeakyReLU(LEAKY_SLOPE))
        self.decoder_std = SpectralDecoder(endmembers, hsi_bands, nn.ReLU())

    def decode(self, abundances: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and standard deviation of the spectra for abundances ``(B, E, H, W)``."""
        return self.decoder_mean(abundances), self.decoder_std(abundances)

    def decoder_parameters(self) -> list[nn.Parameter]:
        """The parameters the partial fine-tuning updates (both decoders)."""
        return [*self.decoder_mean.parameters(), *self.decoder_std.parameters()]

    def forward(self, msi: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.decode(self.encoder(msi))

    @staticmethod
    def sample(mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
        """A draw ``mean + std · ε`` with ε standard normal (torch's global generator)."""
        return mean + std * torch.randn_like(std)
