"""One torch float64 implementation serving numpy, torch CPU and CUDA callers: numpy in -> numpy out, tensor in ->
tensor out on the same device and dtype."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from theorylab.distributions import Gaussian, GaussianMixture
from theorylab.tolerances import LINALG_RTOL

LAWS = [
    Gaussian([0.5, -1.0], [[1.0, 0.3], [0.3, 2.0]]),
    GaussianMixture([0.2, 0.8], [[-1.0, 0.0], [2.0, 1.0]], [np.eye(2), [[0.5, 0.1], [0.1, 0.3]]]),
]
METHODS = ["logpdf", "pdf", "score"]


@pytest.mark.parametrize("law", LAWS)
@pytest.mark.parametrize("method", METHODS)
def test_numpy_in_numpy_out(law, method):
    x = np.random.default_rng(0).normal(size=(3, 4, 2))
    y = getattr(law, method)(x)
    assert isinstance(y, np.ndarray) and y.dtype == np.float64
    assert y.shape == ((3, 4) if method != "score" else (3, 4, 2))
    # python lists are numpy input too
    assert isinstance(getattr(law, method)(x[0].tolist()), np.ndarray)


@pytest.mark.parametrize("law", LAWS)
@pytest.mark.parametrize("method", METHODS)
def test_tensor_in_tensor_out_float64_equals_numpy(law, method):
    x = np.random.default_rng(1).normal(size=(5, 2))
    y_np = getattr(law, method)(x)
    y_t = getattr(law, method)(torch.from_numpy(x))
    assert isinstance(y_t, torch.Tensor) and y_t.dtype == torch.float64 and y_t.device.type == "cpu"
    assert np.array_equal(y_t.numpy(), y_np)  # the very same float64 computation


@pytest.mark.parametrize("law", LAWS)
@pytest.mark.parametrize("method", METHODS)
def test_float32_tensor_keeps_its_dtype_and_is_computed_in_float64(law, method):
    x32 = torch.randn(6, 2, generator=torch.Generator().manual_seed(2), dtype=torch.float32)
    y32 = getattr(law, method)(x32)
    assert y32.dtype == torch.float32
    # identical to the float64 computation at the same (float32-representable) points, rounded once at the end
    y64 = getattr(law, method)(x32.double())
    assert torch.equal(y32, y64.float())


def test_gradients_flow_when_the_input_requires_grad():
    law = LAWS[1]
    x = torch.tensor([[0.3, -0.2]], dtype=torch.float64, requires_grad=True)
    law.logpdf(x).sum().backward()
    assert torch.allclose(x.grad, law.score(x.detach()), rtol=LINALG_RTOL, atol=0.0)


def test_wrong_last_dimension_is_refused():
    with pytest.raises(ValueError, match=r"\(\.\.\., 2\)"):
        LAWS[0].logpdf(np.zeros((3, 3)))


@pytest.mark.gpu
@pytest.mark.parametrize("law", LAWS)
@pytest.mark.parametrize("method", METHODS)
def test_cuda_tensor_in_cuda_tensor_out(law, method):
    x = torch.randn(5, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    y_cpu = getattr(law, method)(x)
    y_gpu = getattr(law, method)(x.cuda())
    assert y_gpu.device.type == "cuda" and y_gpu.dtype == torch.float64
    assert torch.allclose(y_gpu.cpu(), y_cpu, rtol=LINALG_RTOL, atol=0.0)
    y16 = getattr(law, method)(x.cuda().float())
    assert y16.device.type == "cuda" and y16.dtype == torch.float32
