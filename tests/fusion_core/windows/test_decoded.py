"""The inputs decoded once: the scan's full-width strips are kept, the windows read the copy."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

from fusion_core.io.pair import PairPlan
from fusion_core.windows import decoded
from fusion_core.windows.decoded import decoded_copy
from fusion_core.windows.in_memory import ArraySource


class CountingSource(ArraySource):
    """An in-memory pair that counts the reads that reach it."""

    def __init__(self, *args):
        super().__init__(*args)
        object.__setattr__(self, "reads", [])

    def read_lr(self, rect=None):
        self.reads.append(("lr", rect))
        return super().read_lr(rect)

    def read_hr(self, rect=None):
        self.reads.append(("hr", rect))
        return super().read_hr(rect)


def _pair(rng) -> CountingSource:
    lr = rng.random((5, 12, 10), dtype=np.float32)
    hr = rng.random((3, 36, 30), dtype=np.float32)
    lr[1, 4, 7] = np.nan  # nodata travels through the copy
    return CountingSource(lr, hr, PairPlan(3, (0, 0, 12, 10), (0, 0, 36, 30), hr_bounds=(36, 30)))


def _scan(source, strip: int = 5, halo: int = 1) -> None:
    """Full-width strips with a halo above and below, as the scene scan reads them."""
    for a in range(0, 12, strip):
        a0, b0 = max(0, a - halo), min(12, a + strip + halo)
        source.read_lr((a0, 0, b0 - a0, 10))
        source.read_hr((a0 * 3, 0, (b0 - a0) * 3, 30))


def test_windows_read_after_the_scan_come_from_the_copy_and_equal_the_source(tmp_path: Path):
    source = _pair(np.random.default_rng(0))
    with decoded_copy(source, tmp_path / "fused.tif", 0) as copy:
        _scan(copy.recording)
        before = len(source.reads)
        lr = copy.reading.read_lr((3, 2, 6, 7))
        hr = copy.reading.read_hr((9, 6, 18, 21))
        assert len(source.reads) == before  # neither read reached the source
        assert copy.reading.lr_shape == (12, 10) and copy.reading.scale == 3  # the rest is the source's
    np.testing.assert_array_equal(lr, source.read_lr((3, 2, 6, 7)))
    np.testing.assert_array_equal(hr, source.read_hr((9, 6, 18, 21)))
    assert np.isnan(lr[1, 1, 5])


def test_the_windows_sources_travel_to_other_processes_and_read_the_same_copy(tmp_path: Path):
    source = _pair(np.random.default_rng(1))
    with decoded_copy(source, tmp_path / "fused.tif", 0) as copy:
        pickle.loads(pickle.dumps(copy.recording)).read_lr((0, 0, 12, 10))  # a worker's strip
        moved = pickle.loads(pickle.dumps(copy.reading))
        np.testing.assert_array_equal(moved.read_lr((2, 3, 4, 5)), source.read_lr((2, 3, 4, 5)))


def test_a_rectangle_past_the_copy_comes_from_the_source(tmp_path: Path):
    source = _pair(np.random.default_rng(2))
    with decoded_copy(source, tmp_path / "fused.tif", 0) as copy:
        _scan(copy.recording)
        source.reads.clear()
        out = copy.reading.read_hr((-3, 0, 6, 30))  # a window whose halo leaves the scene
        assert source.reads == [("hr", (-3, 0, 6, 30))]
    np.testing.assert_array_equal(out, source.read_hr((-3, 0, 6, 30)))


def test_the_copy_is_deleted_when_the_run_ends(tmp_path: Path):
    with decoded_copy(_pair(np.random.default_rng(3)), tmp_path / "fused.tif", 0) as copy:
        _scan(copy.recording)
        assert len(list(tmp_path.glob(".fused.tif.decoded-*"))) == 2
    assert list(tmp_path.iterdir()) == []


def test_a_killed_runs_copy_is_removed_by_the_next_run_of_that_output(tmp_path: Path):
    stale = tmp_path / ".fused.tif.decoded-0123abcd.lr"
    stale.write_bytes(b"\0" * 64)
    other = tmp_path / ".other.tif.decoded-0123abcd.lr"  # another output's: left alone
    other.write_bytes(b"\0" * 64)
    with decoded_copy(_pair(np.random.default_rng(4)), tmp_path / "fused.tif", 0):
        assert not stale.exists() and other.exists()


def test_without_room_beside_the_output_the_run_reads_the_inputs_as_before(tmp_path: Path, monkeypatch):
    source = _pair(np.random.default_rng(5))
    monkeypatch.setattr(decoded, "free_bytes", lambda _: 5000)  # the copies take 15 kB
    with decoded_copy(source, tmp_path / "fused.tif", 0) as copy:
        assert copy.recording is source and copy.reading is source
    assert list(tmp_path.iterdir()) == []
