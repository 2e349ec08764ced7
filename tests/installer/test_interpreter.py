"""Finding QGIS's Python when ``sys.executable`` is QGIS itself."""

import os
import sys
from pathlib import Path

import pytest

from hsi_fusion.installer import InstallError, find_python
from hsi_fusion.installer.interpreter import python_candidates

VERSION = sys.version_info[:2]
SYSTEM_PYTHON = Path(sys.base_prefix) / "bin" / f"python{VERSION[0]}.{VERSION[1]}"


def no_path(name):
    return None


def test_windows_qgis_looks_in_its_python_folder_first():
    root = Path("C:/Program Files/QGIS 3.40.4")
    found = python_candidates(root / "bin" / "qgis-bin.exe", root / "apps" / "Python312",
                              root / "apps" / "qgis", "win32", (3, 12), no_path)
    assert found == [root / "apps" / "Python312" / "python.exe", root / "apps" / "Python312" / "python3.exe"]


def test_macos_qgis_looks_in_the_bundle():
    bundle = Path("/Applications/QGIS.app/Contents")
    framework = bundle / "Frameworks" / "Python.framework" / "Versions" / "3.9"
    found = python_candidates(bundle / "MacOS" / "QGIS", framework, bundle / "MacOS", "darwin", (3, 9), no_path)
    assert bundle / "MacOS" / "bin" / "python3" in found
    assert all(p.name != "QGIS" for p in found)


def test_the_candidate_that_runs_as_the_same_python_version_is_kept(tmp_path):
    if not SYSTEM_PYTHON.is_file():
        pytest.skip(f"{SYSTEM_PYTHON} is not there")
    wrong = tmp_path / "wrong" / "bin"
    wrong.mkdir(parents=True)
    (wrong / f"python{VERSION[0]}.{VERSION[1]}").write_text("#!/bin/sh\necho 2 7\n")
    os.chmod(wrong / f"python{VERSION[0]}.{VERSION[1]}", 0o755)
    right = tmp_path / "right" / "bin"
    right.mkdir(parents=True)
    (right / "python3").symlink_to(SYSTEM_PYTHON)
    found = find_python(prefix_path=tmp_path / "right", executable=Path("/usr/bin/qgis"),
                        exec_prefix=tmp_path / "wrong", platform="linux")
    assert found == right / "python3"        # the wrong-version one before it was skipped


def test_another_python_of_the_same_version_is_skipped(tmp_path):
    """In qgis_process sys.executable is the first python3 on the PATH (a pyenv shim here)."""
    if not SYSTEM_PYTHON.is_file():
        pytest.skip(f"{SYSTEM_PYTHON} is not there")
    other = tmp_path / "python3"
    other.write_text(f"#!/bin/sh\necho {VERSION[0]} {VERSION[1]} /opt/pyenv/lib/python{VERSION[0]}.{VERSION[1]}\n")
    os.chmod(other, 0o755)
    right = tmp_path / "qgis" / "bin"
    right.mkdir(parents=True)
    (right / "python3").symlink_to(SYSTEM_PYTHON)
    found = find_python(prefix_path=tmp_path / "qgis", executable=other, exec_prefix=tmp_path / "none",
                        platform="linux")
    assert found == right / "python3"


def test_no_python_of_the_right_version_is_a_clear_error(tmp_path):
    with pytest.raises(InstallError, match=r"Could not find QGIS's Python 3\.99 interpreter; looked at"):
        find_python(executable=tmp_path / "QGIS", exec_prefix=tmp_path, platform="linux", version=(3, 99))
