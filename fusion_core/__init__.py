"""HSI Fusion engine: blind fusion of a low-resolution hyperspectral image with a
high-resolution multispectral image. Pure Python + torch; never imports QGIS."""

__version__ = "0.3.0"  # the plugin's version (metadata.txt)
