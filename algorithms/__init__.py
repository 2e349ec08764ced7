"""QGIS Processing algorithms of the ``hsifusion`` provider (thin wrappers over ``fusion_core``)."""
