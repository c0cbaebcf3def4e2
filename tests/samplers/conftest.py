"""Run these tests with one intra-op torch thread (restored afterwards).

The tensors here are small; on a 2-core runner shared with other jobs, torch's default thread pool spends far
more time synchronising than computing (measured: 100x slower elementwise ops under load).
"""

import pytest
import torch


@pytest.fixture(autouse=True)
def _single_torch_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
