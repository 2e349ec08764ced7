"""The faults through QGIS (``qgis_process``): an output over an input, a second run on one output,
a truncated input, SIGTERM, the embedded Dask cluster, whose workers must start on QGIS's own
Python, and a cluster by address whose worker runs from the plugin's folder (what QGIS sends must
not name the plugin's package). Every test also checks that QGIS wrote nothing beside the inputs
(no ``.aux.xml``)."""

import json
import os
import signal
import socket
import subprocess
import time

from fusion_core.io.lock import lock_path

from ..algorithms.conftest import qgis  # noqa: F401  (the fixture: qgis_process with the plugin)
from ..dask_cluster import address_cluster
from .conftest import FUSED_AND_REPORT, leftovers, signal_and_wait, wait_for


def fusion(inputs, output, **more):
    return {"LR_HSI": inputs.lr, "HR_MSI": inputs.hr, "OUTPUT": output, **more}


def test_an_output_over_an_input_is_refused_and_the_input_kept(qgis, inputs):  # noqa: F811
    message = qgis.run_failing("hsifusion:blindfusion", fusion(inputs, inputs.lr))
    assert f"OUTPUT ({inputs.lr}) is the same file as the input LR_HSI" in message
    assert "Traceback" not in message


def test_a_second_run_is_refused_naming_the_first(qgis, inputs, tmp_path):  # noqa: F811
    out = tmp_path / "fused.tif"
    started = time.time()
    lock_path(out).write_text(json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                                          "started": started, "token": "running0"}))
    message = qgis.run_failing("hsifusion:blindfusion", fusion(inputs, out))
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(started))
    assert (f"OUTPUT {out} is being written by another run (process {os.getpid()} on "
            f"{socket.gethostname()}, started {when})") in message
    assert leftovers(tmp_path, {"inputs"}) == ["fused.tif.lock"]


def test_a_truncated_input_is_named_without_a_traceback(qgis, inputs, tmp_path):  # noqa: F811
    broken = tmp_path / "truncated.tif"
    data = inputs.lr.read_bytes()
    broken.write_bytes(data[: len(data) * 3 // 4])
    message = qgis.run_failing("hsifusion:blindfusion", {
        "LR_HSI": broken, "HR_MSI": inputs.hr, "OUTPUT": tmp_path / "fused.tif"})
    assert f"LR_HSI ({broken}) is truncated, corrupt or not a raster" in message
    assert "Traceback" not in message


def test_sigterm_stops_the_run_in_seconds_leaving_nothing(qgis, inputs, tmp_path):  # noqa: F811
    out = tmp_path / "fused.tif"
    command = [qgis.qgis_process_binary(), "run", "hsifusion:blindfusion", "--",
               f"LR_HSI={inputs.lr}", f"HR_MSI={inputs.hr}", f"OUTPUT={out}", "METHOD=1"]
    run = subprocess.Popen(command, env=qgis.environment(), stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
    wait_for(lambda: lock_path(out).exists(), run)
    code, output, seconds = signal_and_wait(run, signal.SIGTERM)
    assert code != 0 and seconds < 10
    assert "Stopped by SIGTERM; no output was written." in output and "Traceback" not in output
    assert leftovers(tmp_path, {"inputs"}) == []


def test_the_embedded_dask_cluster_runs_from_qgis_process(qgis, input_pair, tmp_path):  # noqa: F811
    inputs = input_pair(64)
    out = tmp_path / "fused.tif"
    results = qgis.run_algorithm("hsifusion:blindfusion", fusion(
        inputs, out, DASK_SCHEDULER="local", WINDOW_SIZE=16, DEGRADATION=inputs.model),
        timeout=600)
    assert results["OUTPUT"] == str(out)
    assert leftovers(tmp_path, {"inputs"}) == FUSED_AND_REPORT


def test_a_cluster_by_address_runs_from_qgis_process(qgis, input_pair, tmp_path):  # noqa: F811
    inputs = input_pair(64)
    out = tmp_path / "fused.tif"
    (tmp_path / "cluster").mkdir()
    with address_cluster(tmp_path / "cluster") as (_, scheduler_file):
        results = qgis.run_algorithm("hsifusion:blindfusion", fusion(
            inputs, out, DASK_SCHEDULER=scheduler_file, WINDOW_SIZE=16, DEGRADATION=inputs.model),
            timeout=300)
    assert results["OUTPUT"] == str(out)
    assert leftovers(tmp_path, {"inputs", "cluster"}) == FUSED_AND_REPORT
