"""imu_foundation.utils: thread shares for several processes working at once, bfloat16 autocast where native."""

import pytest
import torch

from imu_foundation.utils import (
    available_cpus,
    inference_autocast,
    native_bfloat16,
    threads_per_process,
    torch_threads,
)


def test_each_process_gets_an_equal_share_of_the_cpus():
    assert threads_per_process(1, cpus=2) == 2
    assert threads_per_process(2, cpus=2) == 1
    assert threads_per_process(3, cpus=2) == 1  # more processes than cores: one thread each, never zero
    assert threads_per_process(3, cpus=16) == 5
    assert 1 <= threads_per_process(2) <= available_cpus()
    for bad in (0, -1):
        with pytest.raises(ValueError, match="num_processes must be at least 1"):
            threads_per_process(bad)
    with pytest.raises(ValueError, match="cpus must be at least 1"):
        threads_per_process(1, cpus=0)


def test_torch_threads_restores_the_previous_setting():
    before = torch.get_num_threads()
    with torch_threads(1) as threads:
        assert threads == 1 and torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with pytest.raises(RuntimeError), torch_threads(1):
        raise RuntimeError("the block failed")
    assert torch.get_num_threads() == before
    with pytest.raises(ValueError, match="num_threads must be at least 1"), torch_threads(0):
        pass


def test_inference_autocast_is_bfloat16_exactly_where_native():
    with inference_autocast("cpu"):
        assert torch.is_autocast_enabled("cpu") == native_bfloat16("cpu")
        if native_bfloat16("cpu"):
            assert torch.get_autocast_dtype("cpu") == torch.bfloat16
            assert (torch.ones(2, 2) @ torch.ones(2, 2)).dtype == torch.bfloat16
    assert not torch.is_autocast_enabled("cpu")
