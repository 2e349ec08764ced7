"""fusion_core.interpreter: the interpreter for worker processes is found where QGIS keeps it, never
a QGIS binary, and only one of this process's version and prefix is taken."""

import sys
from pathlib import Path

import pytest

from fusion_core.interpreter import python_candidates, python_executable, runs_as_this_python


def test_under_qgis_on_windows_the_python_beside_its_prefix_is_a_candidate_not_qgis_bin():
    found = python_candidates(r"C:\OSGeo4W\bin\qgis-bin.exe", None,
                              r"C:\OSGeo4W\apps\Python312", "win32", (3, 12), which=lambda n: None)
    assert [str(p) for p in found] == [r"C:\OSGeo4W\apps\Python312\python.exe",
                                       r"C:\OSGeo4W\apps\Python312\python3.exe",
                                       r"C:\OSGeo4W\bin\python.exe"]


def test_under_qgis_process_the_prefix_comes_before_a_path_python():
    found = python_candidates("/root/.pyenv/shims/python3", "/root/.pyenv/shims/python3", "/usr",
                              "linux", (3, 11), which=lambda n: f"/opt/bin/{n}")
    assert [str(p) for p in found] == ["/root/.pyenv/shims/python3", "/usr/bin/python3.11",
                                       "/usr/bin/python3", "/root/.pyenv/shims/bin/python3.11",
                                       "/opt/bin/python3.11", "/opt/bin/python3"]


def test_only_an_interpreter_of_this_version_and_prefix_is_taken(tmp_path):
    other = tmp_path / "python3"
    other.write_text("#!/bin/sh\necho 3 99 /elsewhere\n")
    other.chmod(0o755)
    assert runs_as_this_python(Path(sys.executable))
    assert not runs_as_this_python(other)
    assert not runs_as_this_python(tmp_path / "missing" / "python3")


def test_a_wrong_sys_executable_is_seen_through(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "executable", str(tmp_path / "qgis_process.bin"))
    monkeypatch.setattr(sys, "_base_executable", str(tmp_path / "qgis_process.bin"), raising=False)
    python_executable.cache_clear()
    try:
        found = python_executable()
    finally:
        python_executable.cache_clear()
    if found is None:
        pytest.skip(f"no python{sys.version_info[0]}.{sys.version_info[1]} under {sys.exec_prefix}"
                    " nor on the PATH")
    assert runs_as_this_python(found) and found.name.startswith("python")
