"""Processing enum values spelled so that one plugin runs on QGIS 3.22 to 4 (Qt5 and Qt6).

QGIS 3.36 moved these enums into ``Qgis`` as scoped enums, the only spelling Qt6 builds are sure
to keep; 3.22 to 3.34 know them only inside their classes (``QgsProcessingParameterNumber.Type``).
Each value is looked up where the running QGIS has it.
"""

from __future__ import annotations

from qgis.core import Qgis, QgsProcessingParameterDefinition, QgsProcessingParameterFile, QgsProcessingParameterNumber

if hasattr(Qgis, "ProcessingNumberParameterType"):  # QGIS >= 3.36, and QGIS 4
    INTEGER = Qgis.ProcessingNumberParameterType.Integer
    DOUBLE = Qgis.ProcessingNumberParameterType.Double
else:  # QGIS 3.22 to 3.34
    INTEGER = QgsProcessingParameterNumber.Type.Integer
    DOUBLE = QgsProcessingParameterNumber.Type.Double

if hasattr(Qgis, "ProcessingParameterFlag"):
    ADVANCED = Qgis.ProcessingParameterFlag.Advanced
    OPTIONAL = Qgis.ProcessingParameterFlag.Optional
else:
    ADVANCED = QgsProcessingParameterDefinition.Flag.FlagAdvanced
    OPTIONAL = QgsProcessingParameterDefinition.Flag.FlagOptional

if hasattr(Qgis, "ProcessingFileParameterBehavior"):
    FOLDER = Qgis.ProcessingFileParameterBehavior.Folder
else:
    FOLDER = QgsProcessingParameterFile.Behavior.Folder
