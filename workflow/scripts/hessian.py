"""Glue: top-k Hessian eigenpairs, trace and spectral density of one trained model."""

import time

import numpy as np
import torch
from tqdm import tqdm

from losstopo import artifacts
from losstopo.hessian import HessianOperator, hutchinson_trace, spectral_density, top_eigen
from losstopo.provenance import provenance

def main(smk) -> None:
    torch.set_num_threads(smk.threads)
    s = smk.params.hessian  # validated and completed by the config schema
    start = time.perf_counter()
    problem, theta, problem_spec = artifacts.load_problem(smk.input.model, s["dtype"])
    budget = s["max_iter"] + s["trace_max_samples"] + s["esd_runs"] * s["esd_steps"]
    bar = tqdm(total=budget, unit="hvp", desc="hessian", mininterval=1)
    op = HessianOperator(problem, theta, on_product=bar.update)
    setup = time.perf_counter() - start
    bar.write(f"{smk.input.model}: {op.size} parameters, dtype {s['dtype']}, "
              f"loss graph kept: {op.keep_graphs}")

    eig = top_eigen(op, s["top_k"], tol=s["tol"], max_iter=s["max_iter"], seed=s["seed"])
    bar.write(f"top-{s['top_k']} eigenvalues {eig.eigenvalues.tolist()} after {eig.n_hvp} HVPs "
          f"(converged: {eig.converged}, max Ritz residual {float(eig.residuals.max()):.3g})")
    trace = hutchinson_trace(op, rtol=s["trace_rtol"], max_samples=s["trace_max_samples"],
                             min_samples=min(10, s["trace_max_samples"]), seed=s["seed"], deflate=eig)
    bar.write(f"trace {trace.mean:.6g} +- {trace.stderr:.3g} from {trace.n_samples} probes")
    esd = spectral_density(op, runs=s["esd_runs"], steps=s["esd_steps"], seed=s["seed"])
    bar.write(f"spectral density from {esd.n_hvp} HVPs, Gaussian width {esd.width:.3g}")
    bar.close()

    n_hvp = {"eigen": eig.n_hvp, "trace": trace.n_hvp, "esd": esd.n_hvp}
    seconds = {"setup": setup, "eigen": eig.seconds, "trace": trace.seconds, "esd": esd.seconds}
    artifacts.save_json(smk.output.json, {
        "eigenvalues": eig.eigenvalues.tolist(),
        "top_eigenvalue": float(eig.eigenvalues[0]),
        "ritz_residuals": eig.residuals.tolist(),
        "eigen_converged": eig.converged,
        "trace": trace.mean,
        "trace_stderr": trace.stderr,
        "trace_samples": trace.n_samples,
        "trace_deflated_part": trace.deflated,
        "esd_width": esd.width,
        "n_params": op.size,
        "loss": float(problem.loss(theta)),
        "n_hvp": {**n_hvp, "total": sum(n_hvp.values())},
        "seconds": {**seconds, "total": time.perf_counter() - start},
        "settings": s,
        "provenance": provenance(problem=problem_spec, hessian=s),
    })
    np.save(smk.output.eigvecs, eig.eigenvectors.detach().cpu().numpy().astype(np.float32))
    np.savez_compressed(smk.output.esd, grid=esd.grid, density=esd.density, nodes=esd.nodes,
                        weights=esd.weights, width=esd.width)


with artifacts.job_log(snakemake.log[0]):  # noqa: F821
    main(snakemake)  # noqa: F821
