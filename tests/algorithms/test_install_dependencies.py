"""hsifusion:installdependencies headless, as on a server: ``qgis_process run`` in a fresh profile."""

import os
import site
import subprocess
import sys

import pytest
from qgis_run import PLUGIN_ROOT, qgis_process_binary


@pytest.fixture
def fresh_profile(qgis, tmp_path):
    """qgis_process's environment with a new, empty QGIS profile where the plugin is enabled."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HSI_FUSION")}
    env.update(QT_QPA_PLATFORM="offscreen", QGIS_PLUGINPATH=str(PLUGIN_ROOT), HOME=str(tmp_path / "home"),
               QGIS_CUSTOM_CONFIG_PATH=str(tmp_path / "config"), XDG_RUNTIME_DIR=str(tmp_path / "run"))
    subprocess.run([qgis_process_binary(), "plugins", "enable", "hsi_fusion"], env=env, capture_output=True,
                   check=True)
    return env, tmp_path / "config" / "profiles" / "default" / "python" / "hsi_fusion_deps"


def _install(env, *args):
    proc = subprocess.run([qgis_process_binary(), "run", "hsifusion:installdependencies", "--", *args],
                          env=env, capture_output=True, text=True, timeout=600)
    return proc.returncode, proc.stdout + proc.stderr


def test_where_qgis_python_has_every_package_nothing_is_installed(fresh_profile):
    env, target = fresh_profile
    # This environment's packages (torch and friends) seen by QGIS's Python, as after an install.
    env["PYTHONPATH"] = os.pathsep.join(site.getsitepackages())
    code, out = _install(env, "BUILD=0")
    assert code == 0, out
    assert f"Everything is installed already ({target})" in out and not target.exists()


def test_offline_without_the_wheels_fails_with_what_pip_said_and_installs_nothing(fresh_profile, tmp_path):
    env, target = fresh_profile
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    code, out = _install(env, "BUILD=0", f"WHEELS={wheels}")
    assert code != 0 and "Installing the packages failed; pip said:" in out, out
    assert "No matching distribution found for" in out and "Traceback" not in out, out
    assert not target.exists()
    assert sys.platform != "darwin" or "Intel" not in out
