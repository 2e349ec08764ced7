"""Tests of fusion_core.methods.result_memory: a result's memory is lent again only once nothing
refers to it, and only to the threads it is lent to."""

import threading

import torch

from fusion_core.methods.result_memory import ResultPool, lent, result_tensor

CPU = torch.zeros(1)


def test_a_buffer_is_lent_again_only_once_nothing_refers_to_it():
    pool = ResultPool(size=1)
    with lent(pool):
        first = result_tensor((4, 25), CPU)
        address = first.data_ptr()
        crop = first.numpy()[:, 3:9]  # what is kept of a window's result: a view
        del first
        second = result_tensor((4, 25), CPU)
        assert second.data_ptr() != address  # the crop still holds the first one: new memory
        del second, crop
        assert result_tensor((5, 20), CPU).data_ptr() == address
        assert len(pool._buffers) == 1


def test_the_smallest_free_buffer_that_holds_a_result_is_lent():
    pool = ResultPool(size=2)
    with lent(pool):
        small, large = result_tensor((10,), CPU), result_tensor((100,), CPU)
        addresses = small.data_ptr(), large.data_ptr()
        del small, large
        assert result_tensor((8,), CPU).data_ptr() == addresses[0]
        assert result_tensor((50,), CPU).data_ptr() == addresses[1]


def test_a_full_pool_trades_its_smallest_free_buffer_for_a_larger_result():
    pool = ResultPool(size=1)
    with lent(pool):
        small = result_tensor((10,), CPU)
        del small
        large = result_tensor((100,), CPU)
        address = large.data_ptr()
        del large
        assert [b.size for b in pool._buffers] == [100]
        assert result_tensor((100,), CPU).data_ptr() == address


def test_outside_a_lent_pool_and_on_other_threads_a_result_is_new_memory():
    pool = ResultPool(size=1)
    with lent(pool):
        taken = result_tensor((10,), CPU)
        address = taken.data_ptr()
        del taken
        elsewhere: list[torch.Tensor] = []
        thread = threading.Thread(target=lambda: elsewhere.append(result_tensor((10,), CPU)))
        thread.start()
        thread.join()
        with lent(None):
            assert result_tensor((10,), CPU).data_ptr() != address
    assert result_tensor((10,), CPU).data_ptr() != address
    assert elsewhere[0].data_ptr() != address and len(pool._buffers) == 1
