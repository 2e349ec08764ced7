"""The Dependencies install as QGIS runs it, headless in a fresh profile: the command it builds,
a real install of a tiny pure-Python package into the profile folder, importable after a restart.

Each step is a new process of QGIS's own interpreter (the system Python on Debian) with a
``QgsApplication`` on a temporary profile (``QGIS_CUSTOM_CONFIG_PATH``), loading the plugin as
QGIS does.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hsi_fusion.installer import ENGINE_REQUIREMENTS

PLUGIN_ROOT = Path(__file__).resolve().parents[2] / "build" / "plugins"
QGIS_PYTHON = Path(sys.base_prefix) / "bin" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
TINY = "immutabledict"  # a 5 kB pure-Python wheel without dependencies, absent from QGIS's Python

SCRIPT = """
import json, sys
from qgis.core import QgsApplication
app = QgsApplication([], False)
app.initQgis()
sys.path.append(sys.argv[1])
import hsi_fusion  # loading the plugin puts the profile's dependency folder on sys.path
from hsi_fusion.engine_path import current_plan
from hsi_fusion.installer import run_install
step, out = sys.argv[2], {"profile": QgsApplication.qgisSettingsDirPath()}
if step == "plan":
    plan = current_plan("cpu")
    out.update(python=str(plan.python), target=str(plan.target),
               install=plan.install_command("staging", "qgis-has.txt"))
elif step == "install":
    progress = []
    result = run_install(current_plan("cpu", (sys.argv[3],)), lambda p, m: progress.append([p, m]))
    out.update(ok=result.ok, message=result.message, installed=result.installed, progress=progress)
else:
    module = __import__(sys.argv[3])
    out.update(file=module.__file__)
print("RESULT " + json.dumps(out))
"""


def in_qgis(profile: Path, *args: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HSI_FUSION")}
    env.update(QGIS_CUSTOM_CONFIG_PATH=str(profile), QT_QPA_PLATFORM="offscreen",
               HOME=str(profile.parent / "home"), XDG_RUNTIME_DIR=str(profile.parent / "run"))
    proc = subprocess.run([str(QGIS_PYTHON), "-c", SCRIPT, str(PLUGIN_ROOT), *args], env=env,
                          capture_output=True, text=True, timeout=600)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, proc.stdout + proc.stderr
    return json.loads(lines[-1][len("RESULT "):])


@pytest.fixture
def profile(tmp_path):
    if not QGIS_PYTHON.is_file():
        pytest.skip(f"QGIS's interpreter {QGIS_PYTHON} is not there")
    pytest.importorskip("qgis.core")
    return tmp_path / "qgis-config"


def test_the_command_built_in_a_fresh_profile_uses_qgis_python_and_the_profile_folder(profile):
    out = in_qgis(profile, "plan")
    target = Path(out["profile"]) / "python" / "hsi_fusion_deps"
    assert Path(out["profile"]).is_relative_to(profile) and out["target"] == str(target)
    assert out["python"] == str(QGIS_PYTHON)
    assert out["install"][:6] == [str(QGIS_PYTHON), "-m", "pip", "install", "--prefix", "staging"]
    assert out["install"][-len(ENGINE_REQUIREMENTS):] == list(ENGINE_REQUIREMENTS)


def test_a_real_install_lands_in_the_profile_and_imports_after_a_restart(profile):
    out = in_qgis(profile, "install", TINY)
    target = Path(out["profile"]) / "python" / "hsi_fusion_deps"
    assert out["ok"], out["message"]
    assert [name.split()[0] for name in out["installed"]] == [TINY]
    assert out["message"].startswith(f"Installed 1 package into {target}: {TINY} ")
    percents = [p for p, _ in out["progress"]]
    assert percents == sorted(percents) and percents[0] == 0.0 and percents[-1] == 100.0
    assert (target / TINY / "__init__.py").is_file()
    imported = in_qgis(profile, "import", TINY)
    assert Path(imported["file"]).is_relative_to(target)
    assert in_qgis(profile, "install", TINY)["message"].startswith("Everything is installed already")


def test_what_qgis_has_is_never_installed_again(profile):
    """pyrsr needs numpy, SciPy, pandas and matplotlib, which Debian's QGIS has: only pyrsr goes in."""
    if subprocess.run([str(QGIS_PYTHON), "-c", "import pyrsr"], capture_output=True).returncode == 0:
        pytest.skip("QGIS's Python has pyrsr already")
    out = in_qgis(profile, "install", "pyrsr")
    assert out["ok"], out["message"]
    assert [name.split()[0] for name in out["installed"]] == ["pyrsr"]
    target = Path(out["profile"]) / "python" / "hsi_fusion_deps"
    assert sorted(p.name for p in target.iterdir() if not p.name.endswith(".dist-info")) == ["pyrsr"]
