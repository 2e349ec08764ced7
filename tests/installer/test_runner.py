"""The runner's failures and cancel: a clear result, the target folder left as it was."""

import os
import sys
from pathlib import Path

from hsi_fusion.installer import InstallChoice, make_plan, run_install


def _plan(tmp_path, python=Path(sys.executable), requirements=("immutabledict",)):
    return make_plan(InstallChoice("cpu", requirements), python, tmp_path / "profile", "linux")


def test_cancel_stops_before_anything_is_installed(tmp_path):
    steps = []
    result = run_install(_plan(tmp_path), lambda percent, message: steps.append(percent),
                         is_cancelled=lambda: True)
    assert not result.ok and result.message == "Cancelled: nothing was installed."
    assert steps == [0.0] and not (tmp_path / "profile").exists()


def test_a_python_without_pip_is_named_with_the_fix(tmp_path):
    python = tmp_path / "python3"
    python.write_text("#!/bin/sh\nexit 1\n")
    os.chmod(python, 0o755)
    result = run_install(_plan(tmp_path, python), lambda percent, message: None)
    assert not result.ok
    assert result.message.startswith(f"QGIS's Python ({python}) has no pip")
    assert "apt install python3-pip" in result.message


def test_a_requirement_pip_cannot_resolve_fails_with_what_pip_said(tmp_path):
    missing = tmp_path / "absent-1.0-py3-none-any.whl"
    lines = []
    result = run_install(_plan(tmp_path, requirements=(str(missing),)), lambda percent, message: None,
                         lines.append)
    assert not result.ok and result.message.startswith("Installing the packages failed; pip said:")
    assert "absent-1.0-py3-none-any.whl" in result.message and lines == result.log
    assert not (tmp_path / "profile").exists()
