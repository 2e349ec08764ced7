"""The inputs decoded once: the scan's full-width strips are kept, the windows read the copy."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fusion_core.io.pair import PairPlan
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


def _scan(source, rows: int, strip: int, halo: int) -> None:
    """Full-width strips with a halo above and below, as the scene scan reads them."""
    for a in range(0, rows, strip):
        a0, b0 = max(0, a - halo), min(rows, a + strip + halo)
        source.read_lr((a0, 0, b0 - a0, 10))
        source.read_hr((a0 * 3, 0, (b0 - a0) * 3, 30))


def test_windows_read_after_the_scan_come_from_the_copy_and_equal_the_source(tmp_path: Path):
    source = _pair(np.random.default_rng(0))
    with decoded_copy(source, tmp_path / "fused.tif") as decoded:
        _scan(decoded, 12, 5, 1)
        before = len(source.reads)
        lr = decoded.read_lr((3, 2, 6, 7))
        hr = decoded.read_hr((9, 6, 18, 21))
        assert len(source.reads) == before  # neither read reached the source
    np.testing.assert_array_equal(lr, source.read_lr((3, 2, 6, 7)))
    np.testing.assert_array_equal(hr, source.read_hr((9, 6, 18, 21)))
    assert np.isnan(lr[1, 1, 5])


def test_rows_the_scan_has_not_read_yet_come_from_the_source(tmp_path: Path):
    source = _pair(np.random.default_rng(1))
    with decoded_copy(source, tmp_path / "fused.tif") as decoded:
        decoded.read_lr((0, 0, 6, 10))  # the first half only
        source.reads.clear()
        out = decoded.read_lr((4, 0, 4, 5))  # rows 6 and 7 are not kept
        assert source.reads == [("lr", (4, 0, 4, 5))]
    np.testing.assert_array_equal(out, source.read_lr((4, 0, 4, 5)))


def test_the_copy_is_deleted_when_the_run_ends_and_reads_go_to_the_source_again(tmp_path: Path):
    source = _pair(np.random.default_rng(2))
    output = tmp_path / "fused.tif"
    with decoded_copy(source, output) as decoded:
        _scan(decoded, 12, 4, 0)
        assert len(list(tmp_path.glob(".fused.tif.decoded-*"))) == 2
    assert list(tmp_path.iterdir()) == []
    source.reads.clear()
    decoded.read_lr((0, 0, 2, 2))
    assert source.reads == [("lr", (0, 0, 2, 2))]


def test_a_killed_runs_copy_is_removed_by_the_next_run_of_that_output(tmp_path: Path):
    stale = tmp_path / ".fused.tif.decoded-0123abcd.lr"
    stale.write_bytes(b"\0" * 64)
    other = tmp_path / ".other.tif.decoded-0123abcd.lr"  # another output's: left alone
    other.write_bytes(b"\0" * 64)
    with decoded_copy(_pair(np.random.default_rng(3)), tmp_path / "fused.tif"):
        assert not stale.exists() and other.exists()
