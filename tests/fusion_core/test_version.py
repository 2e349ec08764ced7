"""The engine reports the version of the plugin it ships in."""

import configparser
from pathlib import Path

import fusion_core


def test_engine_version_is_the_plugins():
    metadata = configparser.ConfigParser()
    metadata.read(Path(__file__).resolve().parents[2] / "metadata.txt", encoding="utf-8")
    assert fusion_core.__version__ == metadata["general"]["version"]
