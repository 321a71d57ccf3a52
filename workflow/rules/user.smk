"""Models of your own (config `models`, losstopo.experiments.user): each entry is an experiment whose runs
are its checkpoints, imported into results/<name>/<checkpoint stem>/model.pt for the per-model stages.

A missing checkpoint stops the workflow at parse time, naming the entry; the entry's `check_model` job
(imports, each checkpoint's keys, the data's shapes) runs before any of its import jobs.
"""

USER_MODELS = get_user_models()


if USER_MODELS:

    rule check_model:
        output:
            paths.experiment_file("{experiment}", paths.MODEL_CHECK),
        log:
            paths.experiment_log("{experiment}", "model_check"),
        wildcard_constraints:
            experiment="|".join(USER_MODELS),
        conda:
            "../../envs/losstopo.yaml"
        threads: 1
        resources:
            runtime=10,
            mem_mb=2000,
        params:
            entry=lambda w: config["models"][w.experiment],
        script:
            "../scripts/check_model.py"

    rule import_model:
        input:
            checkpoint=get_checkpoint,
            check=paths.experiment_file("{experiment}", paths.MODEL_CHECK),
        output:
            model=paths.run_file("{experiment}", "{checkpoint}", paths.MODEL),
            metrics=paths.run_file("{experiment}", "{checkpoint}", paths.METRICS),
        log:
            paths.run_log("{experiment}", "{checkpoint}", "import"),
        wildcard_constraints:
            experiment="|".join(USER_MODELS),
            checkpoint=r"[^/]+",
        group:
            get_job_group()
        conda:
            "../../envs/losstopo.yaml"
        threads: 1
        resources:
            runtime=10,
            mem_mb=2000,
        params:
            entry=lambda w: config["models"][w.experiment],
        script:
            "../scripts/import_model.py"
