"""Glue: train one convection PINN and write its model, trajectory, metrics and prediction."""

import numpy as np
import torch

from losstopo import artifacts
from losstopo.problems.registry import make_problem
from losstopo.provenance import provenance
from losstopo.training.optimize import TrainConfig, train


def main(smk) -> None:
    torch.set_num_threads(smk.threads)
    seed = int(smk.wildcards.seed)
    problem = make_problem(smk.params.problem)
    result = train(problem, problem.init(seed), TrainConfig(**smk.params.train), progress=True)
    metrics = problem.evaluate(result.theta)
    metrics.update(
        diverged=result.diverged,
        converged=result.converged,
        iterations=result.steps[-1],
        beta=float(smk.params.problem["beta"]),
        c_r=float(smk.params.problem["c_r"]),
        lr=float(smk.params.train["lr"]),
        seed=seed,
    )
    meta = provenance(problem=smk.params.problem, train=smk.params.train, seed=seed)
    artifacts.save_model(smk.output.model, result.theta, smk.params.problem, meta)
    artifacts.save_trajectory(smk.output.trajectory, result.trajectory, result.steps, result.losses)
    artifacts.save_json(smk.output.metrics, {**metrics, "provenance": meta})
    np.savez_compressed(smk.output.prediction, x=problem.x, t=problem.t, u_pred=problem.predict(result.theta),
                        u_exact=problem.u_exact)
    status = "DIVERGED (kept, marked in metrics.json)" if result.diverged else "ok"
    print(f"rel_l2_error={metrics['rel_l2_error']:.4g} iterations={result.steps[-1]} {status} "
          f"in {result.seconds:.1f} s")


with artifacts.job_log(snakemake.log[0]):  # noqa: F821
    main(snakemake)  # noqa: F821
