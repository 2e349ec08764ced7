"""The plugin's graphical models (``models/*.model3``) under *Models* in the Processing Toolbox.

QGIS 3.22 to 3.44 list the models of the folders in Processing's "Models folder(s)" setting
(*Settings ▸ Options ▸ Processing ▸ Providers ▸ Models*). The plugin appends its ``models``
folder there when the desktop loads it and takes it out again on unload; the user's own folders
keep their order, so models the user saves still go to the first of them.
"""

from __future__ import annotations

from pathlib import Path

from qgis.core import QgsApplication, QgsSettings

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
SETTING = "MODELS_FOLDER"  # the Models provider's setting, stored under Processing/Configuration/


def add_models_folder() -> None:
    """Append the plugin's models folder to Processing's model folders (once)."""
    folders = _model_folders()
    if str(MODELS_DIR) not in folders:
        _set_model_folders(folders + [str(MODELS_DIR)])


def remove_models_folder() -> None:
    """Take the plugin's models folder out of Processing's model folders."""
    folders = _model_folders()
    if str(MODELS_DIR) in folders:
        _set_model_folders([f for f in folders if f != str(MODELS_DIR)])


def _model_folders() -> list[str]:
    """The folders set now; Processing's default folder when none was ever set."""
    value = QgsSettings().value(f"Processing/Configuration/{SETTING}")
    if value:
        return [f for f in str(value).split(";") if f]
    from processing.modeler.ModelerUtils import ModelerUtils

    return [ModelerUtils.defaultModelsFolder()]


def _set_model_folders(folders: list[str]) -> None:
    """Store ``folders`` (in the settings, and in Processing's copy once it has loaded them) and
    have the Models provider list their models again."""
    from processing.core.ProcessingConfig import ProcessingConfig

    QgsSettings().setValue(f"Processing/Configuration/{SETTING}", ";".join(folders))
    if SETTING in ProcessingConfig.settings:
        ProcessingConfig.settings[SETTING].read()
    provider = QgsApplication.processingRegistry().providerById("model")
    if provider is not None:
        provider.refreshAlgorithms()
