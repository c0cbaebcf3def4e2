"""Shared fixtures of the ``laws`` tests: one intra-op torch thread (restored afterwards).

The tensors are small; on a 2-core runner shared with other jobs torch's default thread pool spends more time
synchronising than computing (the same reasoning as ``tests/samplers/conftest.py``).
"""

import pytest
import torch


@pytest.fixture(autouse=True)
def _single_torch_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
