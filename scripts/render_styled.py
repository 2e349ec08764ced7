"""Render a raster as HSI Fusion styles results, and as QGIS shows it unstyled, to PNG files.

For judging the look by eye (run under a display, or Xvfb: ``xvfb-run -a python ...``):

    .venv/bin/python scripts/render_styled.py demo_output/fused_hr_hsi.tif /tmp/fused.png

writes ``/tmp/fused.png`` (styled) and ``/tmp/fused_unstyled.png`` (QGIS's default bands 1-2-3),
rendered by QGIS's map renderer as the map canvas draws them, and prints the bands chosen.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

PLUGINS = Path(__file__).resolve().parent.parent / "build" / "plugins"


def render_image(layer, width: int):
    """``layer`` alone drawn ``width`` pixels wide by QGIS's parallel map renderer (a QImage)."""
    from qgis.core import QgsMapRendererParallelJob, QgsMapSettings
    from qgis.PyQt.QtCore import QSize

    extent = layer.extent()
    settings = QgsMapSettings()
    settings.setLayers([layer])
    settings.setDestinationCrs(layer.crs())
    settings.setExtent(extent)
    settings.setOutputSize(QSize(width, round(width * extent.height() / extent.width())))
    job = QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    if job.errors():
        raise RuntimeError(f"rendering {layer.source()} failed: {job.errors()[0].message}")
    return job.renderedImage()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("raster", type=Path)
    parser.add_argument("png", type=Path)
    parser.add_argument("--width", type=int, default=640)
    args = parser.parse_args()
    sys.path.append(str(PLUGINS))
    from qgis.core import QgsApplication

    app = QgsApplication([], True)
    app.initQgis()
    print(render_both(args.raster, args.png, args.width))
    app.exitQgis()


def render_both(raster: Path, png: Path, width: int) -> str:
    """Render ``raster`` unstyled then styled; say which bands were chosen and why."""
    from qgis.core import QgsRasterLayer

    from hsi_fusion.ui.styling import style_spectral_layer

    layer = QgsRasterLayer(str(raster), raster.stem)
    render_image(layer, width).save(str(png.with_name(png.stem + "_unstyled.png")), "PNG")
    bands = style_spectral_layer(layer)
    render_image(layer, width).save(str(png), "PNG")
    names = [layer.bandName(b) for b in (bands.red, bands.green, bands.blue)]
    return f"{png}: red, green, blue = {', '.join(names)} ({bands.rule})"


if __name__ == "__main__":
    main()
