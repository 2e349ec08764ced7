"""Weights files and their JSON records: saved together, loaded offline, checked."""

from __future__ import annotations

import json

import pytest
import torch

from fusion_core.errors import InputError
from fusion_core.pretrained import load_weights, record_path, run_record, save_weights


def test_weights_and_record_round_trip(tmp_path):
    net = torch.nn.Linear(3, 2)
    path = tmp_path / "weights" / "net.pt"

    save_weights(path, net.state_dict(), run_record(network="Linear", k=3, epochs=2))
    state, record = load_weights(path, {"network": "Linear", "k": 3}, torch.device("cpu"))

    assert torch.equal(state["weight"], net.weight.detach())
    assert record["epochs"] == 2 and record["torch_version"] == torch.__version__
    assert {"git_commit", "date_utc", "machine"} <= set(record)
    assert json.loads(record_path(path).read_text())["network"] == "Linear"


def test_missing_weights_say_how_to_recreate_them(tmp_path):
    with pytest.raises(InputError, match=r"not found: .*net\.pt is missing\. Run train\.py"):
        load_weights(tmp_path / "net.pt", {}, torch.device("cpu"), remedy="Run train.py.")


def test_a_record_for_another_network_is_rejected(tmp_path):
    path = tmp_path / "net.pt"
    save_weights(path, torch.nn.Linear(3, 2).state_dict(), {"network": "Linear", "k": 3})

    with pytest.raises(InputError, match="k = 3, expected 8"):
        load_weights(path, {"network": "Linear", "k": 8}, torch.device("cpu"))


def test_an_unreadable_weights_file_is_an_input_error(tmp_path):
    path = tmp_path / "net.pt"
    save_weights(path, torch.nn.Linear(3, 2).state_dict(), {"network": "Linear"})
    path.write_bytes(b"not a torch file")

    with pytest.raises(InputError, match="cannot be read"):
        load_weights(path, {}, torch.device("cpu"))
