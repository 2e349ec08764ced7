"""Installed from ZIP without running setup: every algorithm says how to install torch."""

import os
import shutil
import subprocess

import pytest

from qgis_run import REPO, qgis_process_binary

PLUGIN_FILES = ("metadata.txt", "__init__.py", "plugin.py", "engine_path.py", "icon.svg",
                "algorithms", "fusion_core", "ui", "scripts")


@pytest.fixture
def bare_install(tmp_path):
    """A plugin copy without the venv, in a fresh QGIS profile (new HOME), enabled."""
    plugins = tmp_path / "plugins" / "hsi_fusion"
    plugins.mkdir(parents=True)
    for name in PLUGIN_FILES:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, plugins / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(src, plugins / name)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HSI_FUSION")}
    env.update(HOME=str(tmp_path / "home"), QT_QPA_PLATFORM="offscreen",
               QGIS_PLUGINPATH=str(tmp_path / "plugins"), XDG_RUNTIME_DIR=str(tmp_path / "run"))
    subprocess.run([qgis_process_binary(), "plugins", "enable", "hsi_fusion"], env=env,
                   capture_output=True, check=True)
    return plugins, env


def test_each_algorithm_fails_with_the_setup_command(qgis, bare_install, tmp_rasters, tmp_path):
    plugins, env = bare_install
    pair = tmp_rasters(size=16, n_hsi=8, n_msi=3)
    runs = {
        "qualitymetrics": {"REFERENCE": pair.reference_path, "ESTIMATE": pair.reference_path},
        "simulatepair": {"REFERENCE": pair.reference_path, "SENSOR": 0, "LR_HSI": tmp_path / "a.tif",
                         "HR_MSI": tmp_path / "b.tif"},
        "estimatedegradation": {"LR_HSI": pair.lr_path, "HR_MSI": pair.hr_path,
                                "OUTPUT": tmp_path / "m.json"},
        "blindfusion": {"LR_HSI": pair.lr_path, "HR_MSI": pair.hr_path, "OUTPUT": tmp_path / "f.tif"},
    }
    fix = f'bash "{plugins.resolve() / "scripts" / "setup.sh"}"'
    for algorithm, params in runs.items():
        args = [f"{k}={v}" for k, v in params.items()]
        proc = subprocess.run([qgis_process_binary(), "run", f"hsifusion:{algorithm}", "--", *args],
                              env=env, capture_output=True, text=True)
        out = proc.stdout + proc.stderr
        assert proc.returncode != 0, out
        assert "needs PyTorch" in out and fix in out, out
    assert not any((tmp_path / name).exists() for name in ("a.tif", "b.tif", "m.json", "f.tif"))
