"""Each loss-balancing strategy against its paper's definition, on a two-term toy problem or hand values."""

from __future__ import annotations

import math

import pytest
import torch
from torch import Tensor

from losstopo.problems.base import ParamSpec
from losstopo.training.balancing import (
    ConstantWeights,
    DynamicWeightAveraging,
    EqualWeights,
    GradNorm,
    LearningRateAnnealing,
    RandomLossWeighting,
    make_balancer,
    train_balanced,
)

CENTERS = torch.tensor([[1.0, -2.0, 0.5], [-1.0, 0.5, 2.0]], dtype=torch.float64)
SCALES = torch.tensor([30.0, 1.0], dtype=torch.float64)


class TwoTerms:
    """L_a = 30 ||theta - c_a||^2 and L_b = ||theta - c_b||^2 ("r" and "ic"); "loss" is their sum."""

    terms = ("r", "ic")
    spec = ParamSpec.from_shapes([("theta", (3,))])

    def init(self, seed: int) -> Tensor:
        return torch.zeros(3, dtype=torch.float64)

    def loss_terms(self, thetas: Tensor) -> dict[str, Tensor]:
        sq = ((thetas.unsqueeze(1) - CENTERS) ** 2).sum(dim=2) * SCALES  # [B, 2]
        return {"r": sq[:, 0], "ic": sq[:, 1], "loss": sq.sum(dim=1)}

    def loss(self, theta: Tensor) -> Tensor:
        return self.loss_terms(theta.unsqueeze(0))["loss"][0]

    def evaluate(self, theta: Tensor) -> dict[str, float]:
        return {"loss": float(self.loss(theta))}


def gradients(theta: Tensor) -> Tensor:
    """Closed-form per-term gradients 2 s_i (theta - c_i), [2, 3]."""
    return 2 * SCALES.unsqueeze(1) * (theta - CENTERS)


def run(strategy, steps: int = 30, seed: int = 0, lr: float = 0.05):
    problem = TwoTerms()
    return train_balanced(problem, problem.init(0), strategy, steps=steps, lr=lr, checkpoint_every=1,
                          seed=seed)


def test_equal_and_constant_weights_train_the_fixed_weighted_sum():
    cases = [(EqualWeights(), [1.0, 1.0]), (ConstantWeights({"r": 1.0, "ic": 100.0}), [1.0, 100.0])]
    for strategy, w in cases:
        result = run(strategy, steps=20)
        assert torch.equal(result.weight_history, torch.tensor([w] * 20, dtype=torch.float64))
        # oracle: plain Adam on the fixed weighted sum
        param = torch.zeros(3, dtype=torch.float64, requires_grad=True)
        adam = torch.optim.Adam([param], lr=0.05)
        for _ in range(20):
            adam.zero_grad()
            sq = ((param - CENTERS) ** 2).sum(dim=1) * SCALES
            (torch.tensor(w, dtype=torch.float64) * sq).sum().backward()
            adam.step()
        torch.testing.assert_close(result.theta, param.detach())


def test_constant_weights_default_to_the_paper_constants():
    strategy = ConstantWeights()
    strategy.reset(("ic", "bc", "r"), seed=0)
    w = strategy.weights(0, torch.zeros(1), torch.ones(3), None)
    assert w.tolist() == [100.0, 100.0, 1.0]


def test_dwa_weights_follow_the_loss_ratio_formula():
    result = run(DynamicWeightAveraging(temperature=2.0), steps=25, lr=0.2)
    w, losses = result.weight_history, result.term_history
    assert torch.equal(w[:2], torch.ones(2, 2, dtype=torch.float64))
    for t in range(2, 25):
        ratios = [float(losses[t - 1, k] / losses[t - 2, k]) for k in range(2)]
        expected = [2 * math.exp(r / 2) / sum(math.exp(q / 2) for q in ratios) for r in ratios]
        assert w[t].tolist() == pytest.approx(expected, rel=1e-12)
    assert float((w[2:] - 1).abs().max()) > 1e-3  # the weights did move away from 1


def test_rlw_weights_are_a_seeded_softmax_draw_summing_to_the_number_of_tasks():
    result = run(RandomLossWeighting(), steps=15, seed=7)
    g = torch.Generator().manual_seed(7)
    expected = torch.stack([2 * torch.softmax(torch.randn(2, generator=g, dtype=torch.float64), 0)
                            for _ in range(15)])
    torch.testing.assert_close(result.weight_history, expected)
    torch.testing.assert_close(result.weight_history.sum(dim=1), torch.full((15,), 2.0, dtype=torch.float64))
    assert bool((result.weight_history > 0).all())
    assert not torch.allclose(run(RandomLossWeighting(), steps=15, seed=8).weight_history, expected)


def test_lra_statistic_matches_a_hand_computation():
    strategy = LearningRateAnnealing(alpha=0.9, every=1, reference="r")
    strategy.reset(("r", "ic"), seed=0)
    grads = torch.tensor([[1.0, -3.0, 2.0], [0.5, 0.5, -2.0]], dtype=torch.float64)
    # max |g_r| = 3, mean |g_ic| = 1 -> lambda_ic = 0.1 * 1 + 0.9 * 3 = 2.8; lambda_r stays 1
    assert strategy.weights(0, torch.zeros(3), torch.ones(2), grads).tolist() == pytest.approx([1.0, 2.8])
    # second update: 0.1 * 2.8 + 0.9 * (4 / 2) = 2.08
    grads2 = torch.tensor([[4.0, 0.0, -1.0], [2.0, -2.0, 2.0]], dtype=torch.float64)
    assert strategy.weights(1, torch.zeros(3), torch.ones(2), grads2).tolist() == pytest.approx([1.0, 2.08])


def test_lra_in_training_uses_the_gradients_at_the_current_step():
    result = run(LearningRateAnnealing(alpha=0.5, every=4), steps=12)
    lam = 1.0
    for t in range(12):
        if t % 4 == 0:
            g = gradients(result.trajectory[t]).abs()  # trajectory[t] is the vector before step t
            lam = 0.5 * lam + 0.5 * float(g[0].max() / g[1].mean())
        assert result.weight_history[t].tolist() == pytest.approx([1.0, lam], rel=1e-10)


def test_gradnorm_equalises_weighted_gradient_norms():
    strategy = GradNorm(alpha=0.0, lr=0.01)
    strategy.reset(("r", "ic"), seed=0)
    grads = torch.tensor([[1.0, 0.0], [0.0, 4.0]], dtype=torch.float64)  # norms 1 and 4
    history = torch.stack([strategy.weights(t, torch.zeros(2), torch.ones(2), grads) for t in range(600)])
    torch.testing.assert_close(history.sum(dim=1), torch.full((600,), 2.0, dtype=torch.float64))
    spread = (history * torch.tensor([1.0, 4.0], dtype=torch.float64)).log().diff(dim=1).abs()[:, 0]
    assert float(spread[0]) == pytest.approx(math.log(4))
    # fixed point w_1 G_1 = w_2 G_2 with w_1 + w_2 = 2: w = (1.6, 0.4)
    torch.testing.assert_close(history[-50:].mean(dim=0), torch.tensor([1.6, 0.4], dtype=torch.float64),
                               atol=0.02, rtol=0)
    assert float(spread[-50:].max()) < 0.1


def test_gradnorm_targets_follow_relative_inverse_training_rates():
    strategy = GradNorm(alpha=1.0, lr=0.01)
    strategy.reset(("r", "ic"), seed=0)
    grads = torch.tensor([[1.0, 0.0], [0.0, 4.0]], dtype=torch.float64)
    strategy.weights(0, torch.zeros(2), torch.ones(2), grads)  # sets L(0) = (1, 1)
    history = torch.stack([strategy.weights(t, torch.zeros(2), torch.tensor([2.0, 0.5], dtype=torch.float64),
                                            grads) for t in range(1, 800)])
    # w_i G_i proportional to r_i = (2, 0.5) / 1.25: w proportional to (1.6, 0.1), summing to 2
    expected = torch.tensor([1.6, 0.1], dtype=torch.float64) * 2 / 1.7
    torch.testing.assert_close(history[-50:].mean(dim=0), expected, atol=0.02, rtol=0)


def test_make_balancer_names_and_errors():
    assert isinstance(make_balancer("gradnorm", alpha=0.5), GradNorm)
    assert isinstance(make_balancer("const"), EqualWeights)
    with pytest.raises(ValueError, match="unknown balancing method"):
        make_balancer("softadapt")
    with pytest.raises(ValueError, match="reference term"):
        LearningRateAnnealing(reference="bc").reset(("r", "ic"), 0)


def test_trainer_records_checkpoints_and_the_problem_loss():
    problem = TwoTerms()
    result = train_balanced(problem, problem.init(0), EqualWeights(), steps=10, lr=0.1, checkpoint_every=4,
                            seed=0)
    assert result.steps == [0, 4, 8, 10]
    assert result.trajectory.shape == (4, 3)
    assert result.losses == pytest.approx([float(problem.loss(t)) for t in result.trajectory])
    assert result.term_history.shape == result.weight_history.shape == (10, 2)
    assert result.losses[-1] < result.losses[0]
