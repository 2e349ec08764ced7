"""The Dependencies dialog and the offer an algorithm makes when torch is missing, offscreen.

Runs in a child process with its own QGIS application (a GUI one, on the offscreen platform).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PLUGIN_ROOT = Path(__file__).resolve().parents[2] / "build" / "plugins"

SCRIPT = """
import json, sys, threading
from qgis.core import QgsApplication
app = QgsApplication([], True)
app.initQgis()
sys.path.append(sys.argv[1])
from hsi_fusion.ui import dependencies_dialog
from hsi_fusion import engine_path
out = {}
dialog = dependencies_dialog.DependenciesDialog()
out.update(cpu=dialog.cpu.isChecked(), cuda_enabled=dialog.cuda.isEnabled(), status=dialog.status.text())

asked = []
dependencies_dialog.QMessageBox.question = staticmethod(lambda parent, title, text: asked.append(text) or 0)
engine_path.set_install_offer(dependencies_dialog.InstallOffer(None))
sys.modules["torch"] = None  # torch now fails to import, as in a QGIS without it
messages = []
worker = threading.Thread(target=lambda: messages.extend(engine_path.missing_engine_message()
                                                        for _ in range(2)))
worker.start(); worker.join()
out.update(asked_before_events=len(asked))
app.processEvents()
out.update(asked=asked, message=messages[0])
print("RESULT " + json.dumps(out))
"""


@pytest.fixture(scope="module")
def run():
    pytest.importorskip("qgis.core")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(PLUGIN_ROOT)], env=env,
                          capture_output=True, text=True, timeout=600)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, proc.stdout + proc.stderr
    return json.loads(lines[-1][len("RESULT "):])


def test_dialog_opens_on_the_cpu_build_and_says_what_is_installed(run):
    assert run["cpu"] and run["cuda_enabled"] == (sys.platform != "darwin")
    assert run["status"].startswith("PyTorch ") and "is installed" in run["status"]


def test_torch_missing_in_an_algorithm_thread_asks_once_on_the_main_thread(run):
    assert run["asked_before_events"] == 0          # not from the worker thread
    assert len(run["asked"]) == 1                   # once a session, though offered twice
    assert run["asked"][0] == f"{run['message']}\n\nInstall the dependencies now?"
    assert "torch (the fusion methods)" in run["message"] and "Plugins ▸ HSI Fusion ▸ Dependencies…" in run["message"]
