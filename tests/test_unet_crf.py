"""The UNet-CRF problem: batched landscape vs per-point eval-mode modules, metrics, resumable training."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from losstopo import artifacts
from losstopo.data.pets import load_pets, write_synthetic_pets
from losstopo.experiments.unet_crf import UNET_CRF
from losstopo.landscape import grid_coordinates, grid_losses, random_directions, uniform_axes
from losstopo.problems.registry import make_problem
from losstopo.problems.unet_crf import make_unet_crf, segmentation_metrics
from losstopo.training.epochs import EpochConfig, train_epoch
from losstopo.training.trained import save_trained

FIGURE = Path(__file__).resolve().parents[1] / "workflow" / "scripts" / "fig_p4_unet_crf.py"
TRAIN = {"optimizer": "adamw", "momentum": 0.9, "weight_decay": 0.01, "batch_size": 4, "step_size": 1,
         "gamma": 0.5, "augment": True, "n_train": 6}


@pytest.fixture(scope="module")
def pets_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("data")
    write_synthetic_pets(root, n_trainval=8, n_test=6, seed=0, size=32)
    return root


def problem_spec(root: Path, dtype: str = "float64") -> dict:
    return {"name": "unet_crf", "depth": 2, "width": 2, "crf_iterations": 3, "crf_filter_size": 5,
            "image_size": 16, "data": {"root": str(root), "source": "synthetic"}, "eval_batch_size": 4,
            "dtype": dtype}


def trained_buffers(spec: dict, root: Path) -> dict[str, torch.Tensor]:
    """BatchNorm running statistics after a few train-mode passes: eval mode then differs from train mode."""
    torch.manual_seed(0)
    module = make_unet_crf(spec).double().train()
    images, _ = load_pets(root, "trainval", spec["image_size"])
    with torch.no_grad():
        for _ in range(3):
            module(images.double() * 2 + 0.5)
    return {k: v.clone() for k, v in module.named_buffers()}


def test_batched_landscape_equals_a_loop_over_eval_modules(pets_root: Path) -> None:
    spec = problem_spec(pets_root)
    buffers = trained_buffers(spec, pets_root)
    problem = make_problem(spec, buffers)
    theta0 = problem.init(3)
    directions = random_directions(theta0, problem.spec, 2, "layer", ignore_bias=False, seed=1)
    axes = uniform_axes(2, 0.5, 3)
    landscape = grid_losses(problem, theta0, directions, axes, chunk=4, device="cpu")

    images, masks = load_pets(pets_root, "test", spec["image_size"], limit=spec["eval_batch_size"])
    expected = []
    for point in grid_coordinates(axes, 0, 9):
        theta = theta0 + torch.as_tensor(point) @ directions.vectors
        module = make_unet_crf(spec).double()
        module.load_state_dict({**problem.spec.unflatten(theta), **buffers})
        with torch.no_grad():
            expected.append(F.cross_entropy(module.eval()(images.double()), masks).item())
    np.testing.assert_allclose(landscape.loss.ravel(), expected, rtol=1e-5)
    assert np.ptp(expected) > 1e-3  # the grid spans distinct losses


def test_crf_parameters_are_in_the_flat_vector(pets_root: Path) -> None:
    problem = make_problem(problem_spec(pets_root))
    assert {"crf.smoothness", "crf.log_bandwidth"} <= set(problem.spec.names)
    assert problem.spec.size == sum(p.numel() for p in make_unet_crf(problem_spec(pets_root)).parameters())


def test_segmentation_metrics_match_hand_counts() -> None:
    masks = torch.tensor([[[0, 0, 1], [1, 2, 2]]])
    predicted = torch.tensor([[[0, 1, 1], [1, 2, 0]]])
    logits = F.one_hot(predicted, 3).permute(0, 3, 1, 2).float()
    metrics = segmentation_metrics(logits, masks)
    # class 0: hits 1, predicted 2, true 2; class 1: 2, 3, 2; class 2: 1, 1, 2
    assert metrics["pixel_accuracy"] == pytest.approx(4 / 6)
    assert metrics["iou"] == pytest.approx((1 / 3 + 2 / 3 + 1 / 2) / 3)
    assert metrics["dice"] == pytest.approx((2 / 4 + 4 / 5 + 2 / 3) / 3)


def test_evaluate_reports_segmentation_metrics(pets_root: Path) -> None:
    problem = make_problem(problem_spec(pets_root))
    theta = problem.init(0)
    metrics = problem.evaluate(theta)
    assert set(metrics) == {"loss", "iou", "dice", "pixel_accuracy"}
    assert metrics["loss"] == pytest.approx(float(problem.loss_terms(theta[None])["loss"][0]), rel=1e-9)
    assert 0 <= metrics["pixel_accuracy"] <= 1 and 0 <= metrics["iou"] <= metrics["dice"] <= 1


def train_job(spec: dict, out: Path, epoch: int, previous: list[str]) -> dict:
    """One training job of an epoch, as the workflow's training script runs it."""
    paths = {name: str(out / f"epoch{epoch}" / name) for name in ("model.pt", "state.pt", "metrics.json")}
    result = UNET_CRF.train(spec, dict(TRAIN), {"lr": "0.01", "seed": "5", "epoch": str(epoch)},
                            {"previous": previous})
    save_trained(result, {"model": paths["model.pt"], "state": paths["state.pt"],
                          "metrics": paths["metrics.json"]})
    return paths


def test_resumed_training_job_equals_an_uninterrupted_run(pets_root: Path, tmp_path: Path) -> None:
    spec = problem_spec(pets_root, dtype="float32")
    first = train_job(spec, tmp_path, 1, [])
    second = train_job(spec, tmp_path, 2, [first["state.pt"]])  # a fresh process state, resumed from disk

    torch.manual_seed(5)
    module = make_unet_crf(spec)
    data = load_pets(pets_root, "trainval", spec["image_size"], limit=TRAIN["n_train"])
    config = EpochConfig(**{k: v for k, v in TRAIN.items() if k != "n_train"}, lr=0.01)
    state = None
    for epoch in (1, 2):
        state = train_epoch(module, state, data, F.cross_entropy, config, epoch, seed=5, progress=False)

    theta, saved_spec, buffers = artifacts.load_model(second["model.pt"])
    problem = make_problem(saved_spec, buffers)
    expected = problem.spec.flatten(dict(module.named_parameters()))
    assert torch.equal(theta, expected)
    assert all(torch.equal(buffers[k], v) for k, v in module.named_buffers())
    assert not torch.equal(artifacts.load_model(first["model.pt"])[0], theta)  # epoch 2 did train

    metrics = artifacts.load_json(second["metrics.json"])
    assert (metrics["epoch"], metrics["lr"], metrics["seed"], metrics["diverged"]) == (2, 0.01, 5, False)
    assert metrics["test_error"] == pytest.approx(1 - metrics["test_pixel_accuracy"])
    assert metrics["train_loss"] == pytest.approx(state.loss, rel=1e-6)
    assert "provenance" in metrics
    images, masks = load_pets(pets_root, "test", spec["image_size"], limit=spec["eval_batch_size"])
    with torch.no_grad():  # the model rebuilt from its file (with BatchNorm buffers) is the trained module
        expected_loss = F.cross_entropy(module.eval()(images), masks).item()
    assert problem.evaluate(theta)["loss"] == pytest.approx(expected_loss, rel=1e-6)


def test_training_job_refuses_a_missing_previous_state(pets_root: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="epoch 2 needs the previous epoch"):
        train_job(problem_spec(pets_root, dtype="float32"), tmp_path, 2, [])


def figure_script():
    loader = importlib.util.spec_from_file_location("fig_p4_script", FIGURE)
    script = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(script)
    return script


def test_figure_heat_map_shows_seed_means(tmp_path: Path) -> None:
    import matplotlib.pyplot as plt

    from losstopo.topology import landscape_topology, save_topology

    runs, profiles = [], []
    axes = np.stack(uniform_axes(2, 0.01, 5))
    for lr in ("0.01", "0.001"):
        for seed in (0, 1):
            for epoch in (1, 2):
                accuracy = float(lr) * 10 + 0.1 * epoch + 0.01 * seed
                path = tmp_path / f"lr{lr.replace('.', 'p')}_seed{seed}_epoch{epoch}"
                artifacts.save_json(path.with_suffix(".json"),
                                    {"test_pixel_accuracy": accuracy, "test_iou": accuracy / 2})
                runs.append({"lr": lr, "seed": seed, "epoch": epoch,
                             "files": {"metrics": str(path.with_suffix(".json"))}})
                loss = 1 + epoch * (axes[0][:, None] ** 2 + axes[1][None, :] ** 2) * 1e4
                np.savez(path.with_suffix(".npz"), loss=loss, axes=axes)
                save_topology(landscape_topology(loss, axes), f"{path}_topology.npz")
                profiles.append({"lr": lr, "seed": seed, "epoch": epoch,
                                 "files": {"landscape": str(path.with_suffix(".npz")),
                                           "profile": f"{path}_topology.npz"}})
    script = figure_script()
    fig, ax = plt.subplots()
    script.plot_epoch_heatmap(ax, script.run_table(runs), "test_pixel_accuracy", "accuracy")
    shown = sorted(float(t.get_text()) for t in ax.texts)
    assert shown == pytest.approx(sorted([0.115, 0.215, 0.205, 0.305]), abs=0.006)  # means over seeds 0, 1
    plt.close(fig)
    picked = [k for k, run in enumerate(runs) if run["seed"] == 0 and run["lr"] == "0.01"]
    smk = SimpleNamespace(
        params=SimpleNamespace(runs={"runs": runs, "profiles": [profiles[k] for k in picked]}, synthetic=True),
        output=SimpleNamespace(png=str(tmp_path / "fig.png"), pdf=str(tmp_path / "fig.pdf")),
    )
    script.main(smk)
    assert (tmp_path / "fig.png").stat().st_size > 0 and (tmp_path / "fig.pdf").stat().st_size > 0
