"""A QGIS whose Python has none of the engine's packages (Windows' and macOS' QGIS installers
ship numpy and GDAL's bindings, not rasterio, scikit-image, Dask, pyrsr or torch): the plugin
loads, lists every algorithm, and each one refuses with how to install, before it writes
anything.

The packages are hidden by an import blocker (a ``sitecustomize`` on PYTHONPATH putting a
finder first on ``sys.meta_path``), so the test holds here, where they are all installed.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PLUGIN_ROOT = Path(__file__).resolve().parents[2] / "build" / "plugins"
QGIS_PYTHON = Path(sys.base_prefix) / "bin" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
HIDDEN = ("rasterio", "affine", "skimage", "dask", "distributed", "pyrsr", "torch", "scipy", "pyproj",
          "matplotlib")
#: What loading the plugin may import besides the standard library: what every QGIS has.
QGIS_OWN = {"hsi_fusion", "qgis", "numpy", "osgeo", "PyQt5", "PyQt6", "sip", "cython_runtime"}

BLOCKER = f"""
import sys
HIDDEN = {set(HIDDEN)!r}
class HiddenPackages:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in HIDDEN:
            raise ImportError(f"No module named {{name!r}}")
sys.meta_path.insert(0, HiddenPackages())
"""

SCRIPT = """
import json, sys
from qgis.core import QgsApplication, QgsProcessingException
app = QgsApplication([], False)
app.initQgis()
sys.path.append(sys.argv[1])
before = set(sys.modules)
import hsi_fusion
plugin = hsi_fusion.classFactory(None)
plugin.initProcessing()
loaded = {m.partition(".")[0] for m in set(sys.modules) - before} - set(sys.stdlib_module_names)
provider = QgsApplication.processingRegistry().providerById("hsifusion")
out = {"loaded": sorted(m for m in loaded if not m.startswith("_")),
       "algorithms": sorted(a.id() for a in provider.algorithms()), "refusals": {}}
sys.path.append(QgsApplication.pkgDataPath() + "/python/plugins")  # QGIS's own Processing plugin
from processing.core.Processing import Processing
Processing.initialize()
import processing
for algorithm, params in json.loads(sys.argv[2]).items():
    try:
        processing.run(algorithm, params)
        out["refusals"][algorithm] = None
    except QgsProcessingException as exc:
        out["refusals"][algorithm] = str(exc)
print("RESULT " + json.dumps(out))
"""


def test_the_plugin_loads_and_each_algorithm_refuses_with_how_to_install(tmp_rasters, tmp_path):
    if not QGIS_PYTHON.is_file():
        pytest.skip(f"QGIS's interpreter {QGIS_PYTHON} is not there")
    pair = tmp_rasters(size=16, n_hsi=8, n_msi=3)
    runs = {
        "hsifusion:qualitymetrics": {"REFERENCE": str(pair.reference_path), "ESTIMATE": str(pair.reference_path)},
        "hsifusion:simulatepair": {"REFERENCE": str(pair.reference_path), "SENSOR": 0,
                                   "LR_HSI": str(tmp_path / "a.tif"), "HR_MSI": str(tmp_path / "b.tif")},
        "hsifusion:estimatedegradation": {"LR_HSI": str(pair.lr_path), "HR_MSI": str(pair.hr_path),
                                          "OUTPUT": str(tmp_path / "m.json")},
        "hsifusion:blindfusion": {"LR_HSI": str(pair.lr_path), "HR_MSI": str(pair.hr_path),
                                  "OUTPUT": str(tmp_path / "f.tif")},
    }
    (tmp_path / "blocker").mkdir()
    (tmp_path / "blocker" / "sitecustomize.py").write_text(BLOCKER)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HSI_FUSION")}
    env.update(PYTHONPATH=str(tmp_path / "blocker"), QT_QPA_PLATFORM="offscreen",
               QGIS_CUSTOM_CONFIG_PATH=str(tmp_path / "profile"), HOME=str(tmp_path / "home"),
               XDG_RUNTIME_DIR=str(tmp_path / "run"))
    proc = subprocess.run([str(QGIS_PYTHON), "-c", SCRIPT, str(PLUGIN_ROOT), json.dumps(runs)], env=env,
                          capture_output=True, text=True, timeout=300)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, proc.stdout + proc.stderr
    out = json.loads(lines[-1][len("RESULT "):])

    assert set(out["loaded"]) <= QGIS_OWN, out["loaded"]
    assert out["algorithms"] == sorted([*runs, "hsifusion:installdependencies"])
    assert set(out["refusals"]) == set(runs)
    for message in out["refusals"].values():
        assert message.startswith("HSI Fusion needs Python packages that QGIS's Python cannot import: torch")
        assert all(name in message for name in ("rasterio", "scikit-image", "dask", "pyrsr"))
        assert "qgis_process run hsifusion:installdependencies" in message and "Traceback" not in message
    assert not any((tmp_path / name).exists() for name in ("a.tif", "b.tif", "m.json", "f.tif"))
