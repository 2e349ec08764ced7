"""UAO (Nie et al.): unsupervised alternating optimisation for blind hyperspectral fusion."""
