"""Typed stage settings: defaults read from the schema, sections given back unchanged, landscape jobs.

Oracles: the schema file walked by hand, the shipped configs validated by `load_config`, and landscape job
dicts written out key by key (their order is part of the bytes of every landscape file's metadata).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from losstopo.config import SCHEMA_PATH, ConfigError, load_config, merged
from losstopo.settings import (
    STAGES,
    HessianSettings,
    LandscapeSettings,
    Settings,
    TopologySettings,
    landscape_job,
)

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ["config/config.yaml", "config/paper.yaml", "tests/config/tiny.yaml"]


def schema_defaults(node: dict) -> dict:
    """Every `default:` under a schema object, nested as the config nests them, in the schema's order."""
    return {
        key: schema_defaults(sub) if "properties" in sub else sub["default"]
        for key, sub in node["properties"].items()
        if "default" in sub or "properties" in sub
    }


def test_defaults_are_the_schemas_in_its_order_and_types():
    schema = yaml.safe_load(SCHEMA_PATH.read_text())["properties"]
    for stage, settings in STAGES.items():
        expected = schema_defaults(schema[stage])
        assert json.dumps(settings().to_dict()) == json.dumps(expected), stage
    assert Settings().to_dict() == {stage: schema_defaults(schema[stage]) for stage in STAGES}


@pytest.mark.parametrize("config_file", CONFIGS)
def test_from_config_gives_back_every_validated_section(config_file):
    """The global sections and each experiment's merged overrides, with their values' types (30 stays 30)."""
    config = load_config(ROOT / config_file, SCHEMA_PATH)
    sections = [(stage, config[stage]) for stage in STAGES]
    sections += [
        (stage, merged(config[stage], part[stage]))
        for name, part in config.items()
        if name not in STAGES and isinstance(part, dict)
        for stage in STAGES
        if isinstance(part.get(stage), dict)
    ]
    assert len(sections) > 3
    for stage, section in sections:
        back = STAGES[stage].from_config(section).to_dict()
        assert json.dumps(back, sort_keys=True) == json.dumps(section, sort_keys=True), stage


def test_a_partial_section_is_completed_from_the_schema():
    landscape = LandscapeSettings.from_config({"steps": 9, "random": {"distance": 2.0}})
    assert landscape.steps == 9 and landscape.steps_3d == 17 and landscape.kinds == ("random", "hessian")
    assert (landscape.random.distance, landscape.random.normalization, landscape.random.ignore_bias) == (
        2.0, "filter", True)
    assert (landscape.hessian.distance, landscape.hessian.normalization) == (0.5, "none")
    assert HessianSettings.from_config(None) == HessianSettings()


def test_layers_merge_key_by_key_over_the_defaults():
    """A config's sections, then a model's overrides: the CLI's --config with an entry."""
    s = Settings.from_sections({"landscape": {"steps": 11, "hessian": {"distance": 0.2}}, "topology": None},
                               {"landscape": {"hessian": {"normalization": "layer"}}, "module": "m.py:f"})
    assert (s.landscape.steps, s.landscape.hessian.distance, s.landscape.hessian.normalization) == (
        11, 0.2, "layer")
    assert s.landscape.random == LandscapeSettings().random and s.topology == TopologySettings()


@pytest.mark.parametrize(
    "stage, section, named",
    [
        ("hessian", {"top_k": 2}, "hessian.top_k: 2 is less than the minimum of 4"),
        ("landscape", {"random": {"normalisation": "layer"}}, "('normalisation' was unexpected)"),
        ("topology", {"connectivity": "hex"}, "topology.connectivity: 'hex' is not one of"),
    ],
)
def test_a_wrong_key_is_named_on_one_line(stage, section, named):
    with pytest.raises(ConfigError) as err:
        STAGES[stage].from_config(section)
    assert named in str(err.value) and "\n" not in str(err.value)


def test_landscape_job_is_the_shared_keys_then_the_kinds_then_steps_of_its_dim():
    shared = {"kinds": ["random", "hessian"], "steps": 41, "steps_3d": 17, "steps_4d": 9,
              "chunk_memory_mb": 256, "save_every_s": 30, "seed": 0, "dtype": "float32"}
    section = LandscapeSettings().to_dict()
    job = landscape_job(section, "random", 2)
    assert list(job.items()) == list(
        {**shared, "normalization": "filter", "distance": 1.0, "ignore_bias": True}.items()
    )
    job = landscape_job(section, "hessian", 3)
    assert list(job.items()) == list(
        {**shared, "steps": 17, "normalization": "none", "distance": 0.5, "ignore_bias": False}.items()
    )
    assert LandscapeSettings().job("hessian", 3) == job


def test_landscape_job_keeps_the_sections_own_order():
    """A config's section (keys in its file's order) gives its job in that order: the workflow records it."""
    section = {"save_every_s": 0, "pca": {"distance": 2, "ignore_bias": False, "normalization": "none"},
               "steps_4d": 3, "kinds": ["pca"], "steps": 5, "seed": 1, "steps_3d": 4, "dtype": "float64",
               "chunk_memory_mb": 8, "random": {}, "hessian": {}}
    job = landscape_job(section, "pca", 4)
    assert list(job.items()) == [("save_every_s", 0), ("steps_4d", 3), ("kinds", ["pca"]), ("steps", 3),
                                 ("seed", 1), ("steps_3d", 4), ("dtype", "float64"), ("chunk_memory_mb", 8),
                                 ("distance", 2), ("ignore_bias", False), ("normalization", "none")]
    assert section["steps"] == 5  # the section itself is left as it was


@pytest.mark.parametrize(
    "kind, dim, message", [("bogus", 2, "unknown landscape kind"), ("random", 5, "dim must be")]
)
def test_landscape_job_refuses_unknown_kinds_and_dims(kind, dim, message):
    with pytest.raises(ValueError, match=message):
        landscape_job(LandscapeSettings().to_dict(), kind, dim)


def test_settings_import_no_torch():
    """The Snakefile imports losstopo.settings at parse time: no torch there."""
    code = "import sys, losstopo.settings; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_the_workflow_reads_the_packaged_schema():
    """workflow/schemas/config.schema.yaml (the Snakefile's `source_path`) is a relative link to it."""
    link = ROOT / "workflow/schemas/config.schema.yaml"
    assert link.is_symlink() and not os.path.isabs(os.readlink(link))
    assert link.resolve() == SCHEMA_PATH.resolve()
