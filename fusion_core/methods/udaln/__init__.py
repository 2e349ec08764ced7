"""UDALN (Li et al., IEEE GRSL 2022): unsupervised blind fusion with degradation-adaptive learning."""
