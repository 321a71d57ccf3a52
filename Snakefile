import os

from snakemake.utils import min_version

from losstopo.config import merged, validate_config

min_version("9.0")


configfile: "config/config.yaml"


validate_config(config, workflow.source_path("workflow/schemas/config.schema.yaml"))
# Matplotlib stamps PDFs with this date instead of the current time: reruns give identical figures.
os.environ.setdefault("SOURCE_DATE_EPOCH", "0")


wildcard_constraints:
    experiment=r"[a-z0-9_]+",
    run=r"[^/]+(/[^/]+)*",
    beta=r"[0-9.e+-]+",
    lr=r"[0-9.e+-]+",
    seed=r"[0-9]+",
    kind="random|hessian|pca",
    dim="[234]",
    variant="residual|plain",
    epoch="[0-9]+",
    c_r=r"[0-9.e+-]+",
    group=r"[a-z0-9_.]+",
    method="ew|cw|dwa|lra|gradnorm|rlw|const|ntk",
    model="cophy|blackbox|cnn|mlp",
    embedding=r"nv_none|nv_polar|nv_grid[0-9.]+|pca|kpca|umap",


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/pinn.smk"
include: "workflow/rules/resnet20.smk"
include: "workflow/rules/unet_crf.smk"
include: "workflow/rules/user.smk"
include: "workflow/rules/hessian.smk"
include: "workflow/rules/landscape.smk"
include: "workflow/rules/topology.smk"
include: "workflow/rules/tables.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/neurovis.smk"
include: "workflow/rules/trajectories.smk"


rule all:
    default_target: True
    input:
        target_files(config["targets"]),
