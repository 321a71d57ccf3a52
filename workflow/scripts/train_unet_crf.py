"""Glue: train the UNet-CRF for ONE epoch, from the previous epoch's state (epoch 1: from the seed).

Params `problem` (the problem spec, with data root and image size) and `train` (EpochConfig fields and
`n_train`, the first trainval images used; null: all); wildcards `lr`, `seed`, `epoch` (1-based); input
`previous` (the previous epoch's state.pt, empty for epoch 1). Outputs `model` (flat vector + BatchNorm
buffers), `state` (module, optimiser and scheduler state: the next epoch resumes from it) and `metrics`.
"""

import math

import torch
import torch.nn.functional as F

from losstopo import artifacts
from losstopo.data.pets import load_pets
from losstopo.problems.base import ParamSpec
from losstopo.problems.unet_crf import evaluate_segmentation, make_unet_crf
from losstopo.provenance import provenance
from losstopo.training.epochs import EpochConfig, load_state, save_state, train_epoch


def main(smk) -> None:
    torch.set_num_threads(max(1, int(smk.threads)))
    spec, train = dict(smk.params.problem), dict(smk.params.train)
    n_train = train.pop("n_train", None)
    lr, seed, epoch = float(smk.wildcards.lr), int(smk.wildcards.seed), int(smk.wildcards.epoch)
    config = EpochConfig(**{**train, "lr": lr})
    previous = list(smk.input.previous) if hasattr(smk.input, "previous") else []
    if (epoch == 1) == bool(previous):
        raise ValueError(f"epoch {epoch} needs {'no' if epoch == 1 else 'the previous epoch'} state as input "
                         f"`previous`, got {previous}; check the training rule's input function")
    state = load_state(previous[0]) if previous else None

    torch.manual_seed(seed)  # the same initial weights as the problem's init(seed)
    module = make_unet_crf(spec).to("cuda" if torch.cuda.is_available() else "cpu")
    size = int(spec["image_size"])
    train_data = load_pets(spec["data"]["root"], "trainval", size, limit=n_train)
    state = train_epoch(module, state, train_data, F.cross_entropy, config, epoch, seed)
    save_state(smk.output.state, state)

    test = evaluate_segmentation(module, *load_pets(spec["data"]["root"], "test", size), config.batch_size)
    diverged = not (math.isfinite(state.loss) and math.isfinite(test["loss"]))
    theta = ParamSpec.from_module(module).flatten(dict(module.named_parameters()))
    meta = provenance(problem=spec, train={**train, "n_train": n_train}, lr=lr, seed=seed, epoch=epoch)
    artifacts.save_model(smk.output.model, theta, spec, meta, buffers=dict(module.named_buffers()))
    metrics = {"test_iou": test["iou"], "test_dice": test["dice"],
               "test_pixel_accuracy": test["pixel_accuracy"], "test_loss": test["loss"],
               "test_error": 1 - test["pixel_accuracy"], "train_loss": state.loss,
               "train_pixel_accuracy": state.accuracy, "epoch": epoch, "lr": lr, "seed": seed,
               "diverged": diverged, "n_train": len(train_data[0]), "provenance": meta}
    artifacts.save_json(smk.output.metrics, metrics)
    print(f"epoch {epoch}: test IoU {test['iou']:.4f}, pixel accuracy {test['pixel_accuracy']:.4f}, "
          f"test loss {test['loss']:.4f}" + (" DIVERGED (kept, marked in metrics.json)" if diverged else ""))


if "snakemake" in globals():  # run by Snakemake; importing the module (tests) runs nothing
    with artifacts.job_log(snakemake.log[0]):  # noqa: F821
        main(snakemake)  # noqa: F821
