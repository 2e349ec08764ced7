"""Tests of fusion_core.portable: an engine loaded as the plugin's subpackage (as QGIS loads it,
``hsi_fusion.fusion_core``) pickles its objects naming only ``fusion_core``, and unpickles what
names ``fusion_core`` as its own classes. The plugin side runs in a child process, beside a
plugins folder that holds this checkout as ``hsi_fusion``."""

import json
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from fusion_core.errors import InputError
from fusion_core.methods.base import FusionMethod
from fusion_core.portable import Shipped, dumps
from fusion_core.request import FusionRequest

REPO = Path(__file__).resolve().parents[2]

PLUGIN_SIDE = """
import json, pickle, sys
sys.path.insert(0, sys.argv[1])
from hsi_fusion.fusion_core import portable
from hsi_fusion.fusion_core.errors import InputError
from hsi_fusion.fusion_core.methods import load_method
from hsi_fusion.fusion_core.request import FusionRequest

sent = (FusionRequest("a.tif", "b.tif", "c.tif"), load_method("sscf"), InputError("bad"), portable.dumps)
with open(sys.argv[2], "wb") as f:
    f.write(portable.dumps(sent))
portable.alias_top_level()
with open(sys.argv[3], "rb") as f:
    back = pickle.loads(f.read())
import fusion_core.errors
print(json.dumps({"engine": portable.ENGINE,
                  "same_module": fusion_core.errors is sys.modules["hsi_fusion.fusion_core.errors"],
                  "error_is_ours": isinstance(back[0], InputError)}))
"""


@pytest.fixture(scope="module")
def plugin_side(tmp_path_factory) -> tuple[dict, bytes]:
    """What the plugin-side process says, and the bytes it pickled."""
    folder = tmp_path_factory.mktemp("portable")
    plugins = folder / "plugins"
    plugins.mkdir()
    (plugins / "hsi_fusion").symlink_to(REPO, target_is_directory=True)
    (folder / "back.pkl").write_bytes(pickle.dumps((InputError("from a worker"),)))
    done = subprocess.run([sys.executable, "-c", PLUGIN_SIDE, str(plugins), str(folder / "sent.pkl"),
                           str(folder / "back.pkl")], cwd=folder, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1]), (folder / "sent.pkl").read_bytes()


def test_the_plugin_package_pickles_the_engine_by_its_top_level_name(plugin_side):
    said, sent = plugin_side
    assert said["engine"] == "hsi_fusion.fusion_core"
    assert b"hsi_fusion" not in sent
    request, method, error, function = pickle.loads(sent)
    assert isinstance(request, FusionRequest) and request.lr_hsi == "a.tif"
    assert isinstance(method, FusionMethod) and method.name == "sscf"
    assert isinstance(error, InputError) and str(error) == "bad"
    assert function is dumps


def test_the_plugin_package_reads_fusion_core_as_its_own_modules(plugin_side):
    said, _ = plugin_side
    assert said["same_module"] and said["error_is_ours"]


def test_a_shipped_object_unpickles_as_the_object_itself():
    shipped = Shipped(FusionRequest("a.tif", "b.tif", "c.tif"))
    again = pickle.loads(pickle.dumps(shipped))
    assert type(again) is FusionRequest and again.output == "c.tif"
    assert Shipped(len)([1, 2]) == 2
