"""Stable lightweight VAE fusion (Guo et al., CVPR 2023): a tiny VAE under the spectral mixing
prior, coordinated with an explicit degradation estimate in an EM-style loop."""
