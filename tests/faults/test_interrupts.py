"""Ctrl-C and SIGTERM on the command line: the run ends within seconds with one line (no
traceback) and the shell's exit status, leaving no partial output; with RESUME only what resumes
it stays, and the line says how. (SIGTERM without RESUME: ``test_lock.py``; in qgis_process:
``test_qgis_process.py``.)"""

import signal

import pytest

from fusion_core.interrupt import Terminated, signals_as_cancel, signals_as_exceptions

from .conftest import cli, leftovers, signal_and_wait, start, wait_for


def test_ctrl_c_with_resume_keeps_only_the_state_and_says_how_to_continue(inputs, tmp_path):
    out = tmp_path / "fused.tif"
    run = start(cli("fuse", str(inputs.lr), str(inputs.hr), str(out), "--method", "udaln",
                    "--resume"))
    wait_for(lambda: (tmp_path / "fused.tif.resume.json").exists(), run)
    code, printed, seconds = signal_and_wait(run, signal.SIGINT)
    assert code == 130 and seconds < 10 and "Traceback" not in printed
    assert printed.strip().endswith(f"error: interrupted (SIGINT): the finished windows are kept "
                                    f"beside {out}; run the same command again to continue.")
    kept = leftovers(tmp_path, {"inputs"})
    assert [k for k in kept if not k.endswith(".part")] == ["fused.tif.resume.json"]


def test_sigterm_raises_in_the_block_and_is_restored_after():
    previous = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Terminated):
        with signals_as_exceptions():
            signal.raise_signal(signal.SIGTERM)
    assert signal.getsignal(signal.SIGTERM) is previous


def test_in_a_host_application_signals_ask_the_run_to_stop():
    with signals_as_cancel() as received:
        assert received() == ""
        signal.raise_signal(signal.SIGTERM)
        assert received() == "SIGTERM"
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
