"""M2U-Net (Li et al., IEEE TGRS 2024): model-informed multistage unsupervised fusion."""
