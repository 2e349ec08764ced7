"""A disk that fills up during a run: one clear message, no partial output and no temporary file
left, except the resume state when RESUME is on, from which the run then completes bit for bit."""

import errno

import numpy as np
import pytest

from fusion_core import FusionRequest, fuse_files
from fusion_core.errors import OutputError
from fusion_core.io import read_raster
from fusion_core.progress import Progress
from fusion_core.windows import ResumeState, TiledOutput

from ..fusion_core.windows.conftest import RidgeFusion
from .conftest import FUSED_AND_REPORT, fill, leftovers


def filling_at_first_window(folder, filled):
    """Progress that fills the disk of ``folder`` once the first window is fused."""

    def report(percent, message):
        if message.startswith("Window 1/") and not filled:
            filled.append(fill(folder))

    return Progress(report)


def run(inputs, out, resume, progress=None):
    """Fuse the pair in 16 windows with a quick method."""
    request = FusionRequest(str(inputs.lr), str(inputs.hr), str(out), window_size=16,
                            degradation=str(inputs.model), resume=resume)
    return fuse_files(request, progress, method=RidgeFusion(adaptive=False))


def test_a_full_disk_ends_the_run_with_a_message_and_leaves_nothing(input_pair, small_disk):
    inputs, folder, filled = input_pair(64), small_disk(2048), []
    with pytest.raises(OutputError, match=rf"The disk holding {folder} is full \(.*\): no output "
                                          r"was written\. To continue, free some space, or choose "
                                          r"an output on another disk; then run again\."):
        run(inputs, folder / "fused.tif", False, filling_at_first_window(folder, filled))
    assert leftovers(folder) == [filled[0].name]


def test_tiles_gdal_failed_to_write_are_found(input_pair, small_disk, monkeypatch):
    """GDAL reports a failed tile write on its console only: here the disk is full just while the
    output is flushed, and every later write succeeds."""
    inputs, folder = input_pair(64), small_disk(2048)
    flush = TiledOutput.flush

    def flush_on_a_full_disk(self):
        filler = fill(folder)
        try:
            flush(self)
        finally:
            filler.unlink()

    monkeypatch.setattr(TiledOutput, "flush", flush_on_a_full_disk)
    with pytest.raises(OutputError, match=r"is full \(No space left on device: \d+ tile\(s\) of "
                                          r".*fused\.tif\.\w+\.part were not written\)"):
        run(inputs, folder / "fused.tif", False)
    assert leftovers(folder) == []


def test_with_resume_a_full_disk_keeps_only_the_state_and_the_run_then_completes(input_pair,
                                                                                 small_disk,
                                                                                 tmp_path):
    inputs, folder, filled = input_pair(64), small_disk(2048), []
    out = folder / "fused.tif"
    with pytest.raises(OutputError, match=r"is full .*then run the same command again with resume:"
                                          r" it continues from the finished windows\."):
        run(inputs, out, True, filling_at_first_window(folder, filled))
    assert ResumeState.exists(out)
    assert not [p for p in folder.rglob("*") if ".tmp" in p.name or p.name.endswith(".lock")]
    filled[0].unlink()
    run(inputs, out, True)
    assert leftovers(folder) == FUSED_AND_REPORT
    run(inputs, tmp_path / "straight.tif", False)
    np.testing.assert_array_equal(read_raster(out).data, read_raster(tmp_path / "straight.tif").data)


@pytest.mark.parametrize("where", ["TiledOutput.flush", "ResumeState.save"])
def test_a_write_error_is_reported_as_a_full_disk_wherever_it_happens(input_pair, tmp_path,
                                                                     monkeypatch, where):
    """Without a small file system to fill (not root): the same failure, injected."""
    inputs = input_pair(64)
    from fusion_core.windows import output, state

    cls = {"TiledOutput": output.TiledOutput, "ResumeState": state.ResumeState}[where.split(".")[0]]
    method = where.split(".")[1]
    original, calls = getattr(cls, method), []

    def failing(self, *args):
        calls.append(1)
        if len(calls) > 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        return original(self, *args)

    monkeypatch.setattr(cls, method, failing)
    with pytest.raises(OutputError, match="is full"):
        run(inputs, tmp_path / "fused.tif", False)
    assert leftovers(tmp_path, {"inputs"}) == []
