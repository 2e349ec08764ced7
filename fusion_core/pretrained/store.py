"""Weights of pretrained networks: a torch ``state_dict`` file and a JSON record next to it.

The record says where the weights came from (network, training scenes, degradation ranges,
epochs, patch size, seed, torch version, git commit, date, device, wall time) and which spectral
layout they support, so a result can be traced to its training run. Loading never downloads
anything: a missing or mismatched file is an :class:`~fusion_core.errors.InputError` that says
which script recreates it.
"""

from __future__ import annotations

import datetime
import json
import pickle
import platform
import subprocess
from pathlib import Path
from typing import Any, Mapping

import torch

from ..errors import InputError

__all__ = ["record_path", "run_record", "save_weights", "load_weights"]


def record_path(weights: str | Path) -> Path:
    """The JSON record that belongs to a weights file (same name, ``.json``)."""
    return Path(weights).with_suffix(".json")


def run_record(**fields: Any) -> dict[str, Any]:
    """``fields`` plus what every record carries: torch version, git commit, UTC date, machine."""
    return {
        **fields,
        "torch_version": torch.__version__,
        "git_commit": _git_commit(),
        "date_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": platform.platform(),
    }


def save_weights(path: str | Path, state: Mapping[str, torch.Tensor], record: Mapping[str, Any]) -> None:
    """Write ``state`` (tensors moved to the CPU) to ``path`` and ``record`` to its JSON file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({name: t.detach().cpu().clone() for name, t in state.items()}, path)
    record_path(path).write_text(json.dumps(dict(record), indent=2) + "\n", encoding="utf-8")


def load_weights(path: str | Path, expected: Mapping[str, Any], device: torch.device,
                 remedy: str = "") -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Read weights and record, checking that the record has the ``expected`` values.

    Args:
        path: the weights file.
        expected: record fields that must match, e.g. ``{"network": "MutualGuidingFusion"}``.
        device: where the tensors go.
        remedy: what to do when the file is missing or does not match (e.g. the training
            command), appended to the message.

    Raises:
        InputError: file or record missing or unreadable, or a field differs from ``expected``.
    """
    path = Path(path)
    meta = record_path(path)
    if not path.is_file() or not meta.is_file():
        missing = path if not path.is_file() else meta
        raise InputError(f"Pretrained weights not found: {missing} is missing. {remedy}".strip())
    try:
        record = json.loads(meta.read_text(encoding="utf-8"))
        state = torch.load(path, map_location=device, weights_only=True)
    except (OSError, ValueError, RuntimeError, EOFError, pickle.UnpicklingError) as exc:
        raise InputError(f"Pretrained weights {path} cannot be read ({exc}). {remedy}".strip()) from None
    wrong = [f"{key} = {record.get(key)!r}, expected {value!r}" for key, value in expected.items()
             if record.get(key) != value]
    if wrong:
        raise InputError(
            f"Pretrained weights {path} do not fit this code: {'; '.join(wrong)}. {remedy}".strip()
        )
    return state, record


def _git_commit() -> str:
    """The repository's HEAD commit, or ``"unknown"`` outside a git checkout."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent,
                             capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() if out.returncode == 0 else "unknown"
