"""Models of your own (config `models`, kind module): each entry is an experiment whose runs are its
checkpoints, imported into results/<name>/<checkpoint stem>/model.pt for the per-model stages.

Every entry is checked here, at parse time (imports, each checkpoint's keys, the data's shapes), so a
bad entry stops the workflow before any job, naming the entry.
"""

import re
from pathlib import Path

from losstopo.problems.user import module_spec, validate_entry

USER_MODELS = {}


for _name, _entry in config.get("models", {}).items():
    if not re.fullmatch(r"[a-z0-9_]+", _name) or _name in EXPERIMENTS:
        raise ValueError(
            f"models.{_name}: entry names must be lower-case letters, digits and _, and differ from "
            f"the built-in experiments {sorted(EXPERIMENTS)}; rename the entry"
        )
    USER_MODELS[_name] = validate_entry(_name, _entry)
    register_experiment(
        _name,
        pattern="{checkpoint}",
        runs=lambda name=_name: user_runs(name),
        problem=lambda wildcards, name=_name: module_spec(
            name, config["models"][name], "float32"
        ),
        targets=["table_tda_correlations"],
        ml_metrics=["top_eigenvalue", "trace", "loss", "accuracy"],
    )


if USER_MODELS:

    rule import_model:
        input:
            checkpoint=user_checkpoint,
        output:
            model="results/{experiment}/{checkpoint}/model.pt",
            metrics="results/{experiment}/{checkpoint}/metrics.json",
        log:
            "logs/{experiment}/{checkpoint}/import.log",
        wildcard_constraints:
            experiment="|".join(USER_MODELS),
            checkpoint=r"[^/]+",
        conda:
            "../../envs/losstopo.yaml"
        threads: 1
        resources:
            runtime=10,
            mem_mb=2000,
        params:
            name=lambda w: w.experiment,
            entry=lambda w: config["models"][w.experiment],
        script:
            "../scripts/import_model.py"
