"""The mean-field CRF layer against a pixel-by-pixel reference, its gradients, and its smoothing effect."""

from __future__ import annotations

import math

import pytest
import torch

from losstopo.problems.unet_crf import MeanFieldCRF


def slow_crf(unary: torch.Tensor, smoothness: float, bandwidth: float, iterations: int,
             filter_size: int) -> torch.Tensor:
    """Zheng et al.'s mean-field updates with explicit loops over samples, pixels, neighbours and labels."""
    n_samples, n_classes, height, width = unary.shape
    r = filter_size // 2
    taps = {(di, dj): math.exp(-(di * di + dj * dj) / (2 * bandwidth**2))
            for di in range(-r, r + 1) for dj in range(-r, r + 1) if (di, dj) != (0, 0)}
    total = sum(taps.values())
    u = unary.tolist()
    logits = unary.tolist()
    for _ in range(iterations):
        new = [[[[0.0] * width for _ in range(height)] for _ in range(n_classes)] for _ in range(n_samples)]
        for n in range(n_samples):
            q = [[[0.0] * width for _ in range(height)] for _ in range(n_classes)]
            for i in range(height):
                for j in range(width):
                    top = max(logits[n][c][i][j] for c in range(n_classes))
                    e = [math.exp(logits[n][c][i][j] - top) for c in range(n_classes)]
                    for c in range(n_classes):
                        q[c][i][j] = e[c] / sum(e)
            for i in range(height):
                for j in range(width):
                    message = [0.0] * n_classes
                    for (di, dj), k in taps.items():
                        if 0 <= i + di < height and 0 <= j + dj < width:
                            for c in range(n_classes):
                                message[c] += k / total * q[c][i + di][j + dj]
                    for c in range(n_classes):
                        potts = sum(message[other] for other in range(n_classes) if other != c)
                        new[n][c][i][j] = u[n][c][i][j] - smoothness * potts
        logits = new
    return torch.tensor(logits, dtype=unary.dtype)


@pytest.mark.parametrize("filter_size, iterations", [(5, 3), (11, 5)])
def test_crf_matches_the_pixel_loop_reference(filter_size: int, iterations: int) -> None:
    unary = torch.randn(2, 3, 6, 7, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 2
    crf = MeanFieldCRF(iterations, filter_size, bandwidth=1.7, smoothness=1.3).double()
    got = crf(unary).detach()
    expected = slow_crf(unary, 1.3, 1.7, iterations, filter_size)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=0)
    assert not torch.allclose(got, unary)  # the layer does change the logits


def test_both_crf_parameters_get_nonzero_gradients() -> None:
    g = torch.Generator().manual_seed(1)
    unary = torch.randn(2, 3, 8, 8, generator=g, dtype=torch.float64)
    target = torch.randint(0, 3, (2, 8, 8), generator=g)
    crf = MeanFieldCRF(5, 11).double()
    torch.nn.functional.cross_entropy(crf(unary), target).backward()
    assert crf.smoothness.grad.abs().item() > 1e-8
    assert crf.log_bandwidth.grad.abs().item() > 1e-8


def test_crf_gradients_match_finite_differences() -> None:
    g = torch.Generator().manual_seed(2)
    unary = torch.randn(1, 3, 6, 6, generator=g, dtype=torch.float64)
    weights = torch.randn(1, 3, 6, 6, generator=g, dtype=torch.float64)
    crf = MeanFieldCRF(3, 5).double()

    def output(smoothness: torch.Tensor, log_bandwidth: torch.Tensor) -> torch.Tensor:
        params = {"smoothness": smoothness, "log_bandwidth": log_bandwidth}
        return (torch.func.functional_call(crf, params, (unary,)) * weights).sum()

    inputs = tuple(p.detach().clone().requires_grad_() for p in (crf.smoothness, crf.log_bandwidth))
    assert torch.autograd.gradcheck(output, inputs)


def blocky_masks(n: int, size: int, generator: torch.Generator) -> torch.Tensor:
    """Masks of one rectangle of class 0 with a one-pixel ring of class 2, on class 1: smooth regions."""
    masks = torch.ones(n, size, size, dtype=torch.int64)
    for k in range(n):
        top, left = torch.randint(1, size // 3, (2,), generator=generator).tolist()
        bottom, right = torch.randint(2 * size // 3, size - 1, (2,), generator=generator).tolist()
        masks[k, top - 1 : bottom + 1, left - 1 : right + 1] = 2
        masks[k, top:bottom, left:right] = 0
    return masks


@pytest.mark.parametrize("seed", range(4))
def test_crf_never_lowers_pixel_accuracy_where_smoothing_helps(seed: int) -> None:
    g = torch.Generator().manual_seed(seed)
    masks = blocky_masks(4, 24, g)
    # a fixed noisy network output: the true class scores 1 higher, plus Gaussian noise per logit
    unary = torch.nn.functional.one_hot(masks, 3).permute(0, 3, 1, 2).double() + torch.randn(
        4, 3, 24, 24, generator=g, dtype=torch.float64)
    raw = (unary.argmax(1) == masks).double().mean().item()
    gains = []
    for smoothness in (0.5, 1.0, 2.0, 4.0):
        with torch.no_grad():
            refined = MeanFieldCRF(5, 11, bandwidth=3.0, smoothness=smoothness).double()(unary)
        gains.append((refined.argmax(1) == masks).double().mean().item() - raw)
    assert min(gains) >= 0, f"the CRF lowered pixel accuracy {raw:.3f} by {-min(gains):.3f}"
    assert max(gains) > 0.05, f"the CRF should help on this toy; accuracy gains {gains}"
