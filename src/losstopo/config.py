"""Validate a workflow config against its JSON schema, fill defaults, and explain errors by key.

Snakemake's own `validate` reports the first schema error in jsonschema's words; researchers need
every wrong key named with what was expected, before any job starts.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

SCHEMA_PATH = Path(__file__).parent / "schemas" / "config.schema.yaml"  # workflow/schemas/ links to it


class ConfigError(ValueError):
    """A config that does not match the schema; the message names every offending key."""


def _with_defaults(validator_class: type) -> type:
    """A validator class that writes each property's `default` into the instance as it validates."""
    check_properties = validator_class.VALIDATORS["properties"]

    def fill(validator: Any, properties: dict, instance: Any, schema: dict) -> Iterator:
        if isinstance(instance, dict):
            for name, sub in properties.items():
                if "default" in sub and name not in instance:
                    instance[name] = yaml.safe_load(yaml.safe_dump(sub["default"]))
        yield from check_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": fill})


def _key(path: Any) -> str:
    parts = [f"[{p}]" if isinstance(p, int) else f".{p}" for p in path]
    return "".join(parts).lstrip(".") or "<top level>"


def _yaml_number_hint(value: Any) -> str:
    """YAML 1.1 reads `1e-3` (no dot) as a string: say how to write it as a number."""
    try:
        float(value)
    except (TypeError, ValueError):
        return ""
    mantissa, _, exponent = str(value).lower().partition("e")
    fixed = f"{mantissa}.0e{exponent}" if exponent and "." not in mantissa else str(value)
    return f"; YAML read {value!r} as text: write it as {fixed}"


def _explain(error: jsonschema.ValidationError, prefix: tuple[str, ...] = ()) -> str:
    key = _key([*prefix, *error.absolute_path])
    if error.validator == "type" and isinstance(error.instance, str):
        return f"{key}: {error.message}{_yaml_number_hint(error.instance)}"
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        return f"{key}: {error.message}; allowed keys here: {allowed}"
    expected = error.schema.get("description")
    hint = f" (expected: {expected})" if expected else ""
    return f"{key}: {error.message}{hint}"


@cache
def load_schema(path: str | Path = SCHEMA_PATH) -> dict[str, Any]:
    """The config schema at `path`, read once per process (with libyaml when present: the Snakefile reads
    it at every start). Callers must not change it."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(Path(path).read_text(), Loader=loader)


def validate_config(config: dict[str, Any], schema_path: str | Path = SCHEMA_PATH) -> dict[str, Any]:
    """Check `config` in place against the schema, filling defaults; raise ConfigError naming keys."""
    schema = load_schema(schema_path)
    validator = _with_defaults(jsonschema.Draft202012Validator)(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path)))
    problems = [_explain(e) for e in errors]
    if not errors:
        problems += _cross_checks(config) + _override_checks(config, schema)
    if problems:
        listing = "\n  - ".join(problems)
        raise ConfigError(f"invalid config ({len(problems)} problem(s)); see config/README.md:\n  - {listing}")
    return config


def _cross_checks(config: dict[str, Any]) -> list[str]:
    """Keys that must name values of the sweep (the figures' choices); defaults come from the sweep."""
    pinn, figures = config["pinn"], config.setdefault("figures", {})
    figures.setdefault("failure_betas", list(pinn["betas"]))
    figures.setdefault("lr", pinn["learning_rates"][0])
    figures.setdefault("seed", pinn["seeds"][0])
    figures.setdefault("profile_cells", [{"beta": b, "lr": figures["lr"]} for b in pinn["betas"]])
    problems = [
        f"figures.failure_betas: {b} is not in pinn.betas {pinn['betas']}"
        for b in figures["failure_betas"]
        if b not in pinn["betas"]
    ]
    if figures["lr"] not in pinn["learning_rates"]:
        problems.append(f"figures.lr: {figures['lr']} is not in pinn.learning_rates {pinn['learning_rates']}")
    if figures["seed"] not in pinn["seeds"]:
        problems.append(f"figures.seed: {figures['seed']} is not in pinn.seeds {pinn['seeds']}")
    for i, cell in enumerate(figures["profile_cells"]):
        if cell["beta"] not in pinn["betas"] or cell["lr"] not in pinn["learning_rates"]:
            problems.append(f"figures.profile_cells[{i}]: {cell} is not a (beta, lr) cell of the pinn sweep")
    return problems


STAGES = ("hessian", "landscape", "topology", "stability")  # sections an experiment may override


def merged(base: dict[str, Any], override: dict[str, Any] | None) -> dict[str, Any]:
    """A copy of `base` with `override`'s keys replaced, recursively into dicts: how an experiment's (or a
    user model's) stage settings go over the global sections, in the workflow, the CLI and `analyze`."""
    out = copy.deepcopy(base)
    for key, value in (override or {}).items():
        nested = isinstance(value, dict) and isinstance(out.get(key), dict)
        out[key] = merged(out[key], value) if nested else copy.deepcopy(value)
    return out


def _override_checks(config: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    """An experiment's stage overrides, merged over the global section, must pass that section's schema."""
    problems = []
    for experiment, section in config.items():
        if experiment in STAGES or not isinstance(section, dict):
            continue
        for stage in STAGES:
            if stage not in section or stage not in schema["properties"]:
                continue
            stage_validator = jsonschema.Draft202012Validator(schema["properties"][stage])
            combined = merged(config[stage], section[stage])
            problems += [_explain(e, (experiment, stage)) for e in stage_validator.iter_errors(combined)]
    return problems


def validate_section(stage: str, section: dict[str, Any] | None) -> dict[str, Any]:
    """A copy of config section `stage` (hessian, landscape, topology) checked against its part of the
    schema, with the schema's defaults filled in; a ConfigError names every wrong key on one line."""
    filled = copy.deepcopy(section or {})
    validator = _with_defaults(jsonschema.Draft202012Validator)(load_schema()["properties"][stage])
    problems = [_explain(e, (stage,)) for e in validator.iter_errors(filled)]
    if problems:
        raise ConfigError(f"invalid {stage} settings: {'; '.join(problems)}")
    return filled


def load_config(path: str | Path, schema_path: str | Path = SCHEMA_PATH) -> dict[str, Any]:
    """Read a YAML config file and validate it."""
    config = yaml.safe_load(Path(path).read_text()) or {}
    return validate_config(config, schema_path)
