"""The QGIS 4 (Qt6) check of ``make lint`` finds PyQt5-only code and unscoped QGIS enums."""

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))

import check_qt6  # noqa: E402

TOOL = REPO / "build" / "qt6check" / "bin" / "pyqt5to6"
QT5_ONLY = """from PyQt5.QtWidgets import QDialog, QMessageBox
from qgis.core import Qgis, QgsProcessingParameterFile
QDialog().exec_()
answer = QMessageBox.Yes
behavior = QgsProcessingParameterFile.Folder
scoped = QgsProcessingParameterFile.Behavior.Folder
level = Qgis.MessageLevel.Critical
"""


def test_unscoped_qgis_enum_values_are_found_with_their_scoped_spelling(tmp_path):
    path = tmp_path / "plugin.py"
    path.write_text(QT5_ONLY)
    assert check_qt6.unscoped_qgis_enums(path) == [
        f"{path}:5: QgsProcessingParameterFile.Folder is an unscoped enum value; Qt6 builds of QGIS know "
        "only QgsProcessingParameterFile.Behavior.Folder"]


def test_qgis_migration_script_finds_pyqt5_imports_exec_and_unscoped_qt_enums(tmp_path):
    if not TOOL.is_file():
        pytest.skip("QGIS's migration script is not installed: run 'make lint'")
    path = tmp_path / "plugin.py"
    path.write_text(QT5_ONLY)
    changed = [line for line in check_qt6.migration_findings(TOOL, [path]) if line.startswith("+")]
    assert changed[1:] == ["+from qgis.PyQt.QtWidgets import QDialog, QMessageBox", "+QDialog().exec()",
                           "+answer = QMessageBox.StandardButton.Yes"]
    assert path.read_text() == QT5_ONLY                                  # the file itself untouched
    assert check_qt6.main([str(TOOL), str(tmp_path)]) == 1

