"""GLP-HS: the classical hyper-sharpening baseline (MTF-matched generalised Laplacian pyramid)."""
