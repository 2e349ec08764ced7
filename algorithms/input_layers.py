"""What QGIS makes GDAL do to the input rasters it loads as layers: nothing that lasts.

QGIS computes statistics and histograms of every raster layer it loads, also of the inputs
Processing loads from a path. GDAL keeps them in a sidecar file beside the raster
(``lr.tif.aux.xml``), which would write into the user's input folder, and prints
``ERROR 5: … dfMax should be strictly greater than dfMin`` for each constant band it is asked to
draw. :func:`no_gdal_sidecars` turns the sidecars off around this plugin's own code (thread-local,
so the user's other layers keep theirs); under ``qgis_process``, which loads the input layers
before any algorithm code runs, :func:`quiet_inputs_in_qgis_process` does it from the plugin's
start, and keeps those harmless histogram messages off the console.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

__all__ = ["no_gdal_sidecars", "quiet_inputs_in_qgis_process"]

#: What GDAL says when QGIS asks for the histogram of a constant band (nothing is wrong).
_CONSTANT_BAND = "dfMax should be strictly greater than dfMin"


@contextmanager
def no_gdal_sidecars() -> Iterator[None]:
    """Within the block GDAL writes no ``.aux.xml`` beside the rasters this thread opens."""
    from osgeo import gdal

    previous = gdal.GetThreadLocalConfigOption("GDAL_PAM_ENABLED", None)
    gdal.SetThreadLocalConfigOption("GDAL_PAM_ENABLED", "NO")
    try:
        yield
    finally:
        gdal.SetThreadLocalConfigOption("GDAL_PAM_ENABLED", previous)


def _print_gdal_message(level: int, number: int, message: str) -> None:
    """GDAL's own console handler, less the constant-band histogram message."""
    from osgeo import gdal

    if _CONSTANT_BAND in message:
        return
    kind = {gdal.CE_Warning: "Warning", gdal.CE_Debug: ""}.get(level, "ERROR")
    if kind:
        print(f"{kind} {number}: {message}", file=sys.stderr)


def quiet_inputs_in_qgis_process() -> None:
    """When this process is ``qgis_process`` running one of this plugin's algorithms, turn GDAL's
    sidecars off for its main thread for good, and drop the constant-band histogram messages.
    Any other run of qgis_process, and the QGIS desktop, are left as they are."""
    from qgis.core import QgsApplication

    args = QgsApplication.arguments()  # e.g. qgis_process [--json] run hsifusion:… -- …
    ours = ("run" in args[:3] and args.index("run") + 1 < len(args)
            and args[args.index("run") + 1].startswith("hsifusion:"))
    if not (args and Path(args[0]).name.startswith("qgis_process") and ours):
        return
    from osgeo import gdal

    gdal.SetThreadLocalConfigOption("GDAL_PAM_ENABLED", "NO")
    gdal.PushErrorHandler(_print_gdal_message)
