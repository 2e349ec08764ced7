"""Tests of fusion_core.windows.memory: what sizes the windows is the memory the process uses."""

import sys

import numpy as np
import psutil
import pytest

from fusion_core.windows.memory import process_bytes


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc keeps freed heap pages resident")
def test_memory_the_process_freed_is_not_counted_as_used():
    # After the estimation glibc kept 0.76 GB of freed heap resident, which shrank the windows.
    blocks = [np.ones(100_000 // 8) for _ in range(3000)]  # 300 MB below the mmap threshold
    last = np.ones(100_000 // 8)  # keeps the heap's top above the freed blocks
    before = psutil.Process().memory_info().rss
    del blocks
    assert psutil.Process().memory_info().rss > before - 100 * 2**20  # still resident
    assert process_bytes() < before - 200 * 2**20
    assert last.sum() == last.size
