"""Windows fusing side by side get one torch and one BLAS thread each, and the process's own
settings back afterwards (it may be QGIS's)."""

import threading

import numpy as np
import torch
from threadpoolctl import threadpool_info, threadpool_limits

from fusion_core.threads import on_threads, one_thread_each


def _blas_threads() -> set[int]:
    return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}


def test_inside_the_block_torch_and_blas_use_one_thread_on_every_thread_and_theirs_come_back_after():
    np.ones((64, 64)) @ np.ones((64, 64))                             # numpy's BLAS loaded
    with threadpool_limits(limits=2, user_api="blas"):
        saved = torch.get_num_threads()
        torch.set_num_threads(2)
        try:
            seen: dict[str, set[int]] = {}
            with one_thread_each():
                seen["caller"] = {torch.get_num_threads(), *_blas_threads()}
                worker = threading.Thread(target=lambda: seen.update(window=_blas_threads()))
                worker.start()
                worker.join()
            assert seen == {"caller": {1}, "window": {1}}
            assert torch.get_num_threads() == 2 and _blas_threads() == {2}
        finally:
            torch.set_num_threads(saved)


def test_threads_run_at_most_their_number_of_items_ahead_and_start_none_once_stopped():
    started = []

    def strip(item: int) -> int:
        started.append(item)
        return item * 10

    found = on_threads(2)(strip, list(range(20)))
    assert [next(found), next(found)] == [0, 10]
    found.close()
    assert len(started) <= 4                                          # the two taken, two ahead
