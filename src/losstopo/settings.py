"""Typed settings of the per-model stages (config sections `hessian`, `landscape`, `topology`).

Each is a frozen dataclass made from its config section; its defaults are the schema's `default:` values
(`losstopo/schemas/config.schema.yaml`, the one place they are written). `to_dict()` gives back the
section with exactly its keys: that dict is what the stages record in every file's provenance.
Imports no torch: the Snakefile imports this module at parse time, and so does every job.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field, fields, replace
from functools import partial, reduce
from typing import Any, ClassVar, Self

from losstopo.config import load_schema, merged, validate_section

KINDS = ("random", "hessian", "pca")
STEPS_KEYS = {2: "steps", 3: "steps_3d", 4: "steps_4d"}  # points per axis of a landscape of each dim


def schema_node(*keys: str) -> dict[str, Any]:
    """The schema of config key `keys` (e.g. "landscape", "random", "distance")."""
    node = load_schema()
    for key in keys:
        node = node["properties"][key]
    return node


def default(*keys: str) -> Any:
    """The schema's default of config key `keys`, copied (no two settings share a list)."""
    return copy.deepcopy(schema_node(*keys)["default"])


class _Section:
    """The config section of a stage: made from it (`from_config`), given back as it (`to_dict`)."""

    STAGE: ClassVar[str]

    @classmethod
    def from_config(cls, section: dict[str, Any] | None) -> Self:
        """From config section STAGE, checked against the schema with its defaults filled in (a
        validated section passes through unchanged; a wrong key raises ConfigError naming it)."""
        return cls._from_dict(validate_section(cls.STAGE, section))

    @classmethod
    def _from_dict(cls, section: dict[str, Any]) -> Self:
        """From a complete section (every key of the schema)."""
        return cls(**section)

    def to_dict(self) -> dict[str, Any]:
        """The config section: the keys of the schema, in its order, with these values."""
        return asdict(self)


@dataclass(frozen=True)
class HessianSettings(_Section):
    """Config `hessian`: Lanczos top-k eigenpairs, Hutchinson and Hutch++ traces, SLQ spectral density."""

    STAGE: ClassVar[str] = "hessian"
    top_k: int = default("hessian", "top_k")
    tol: float = default("hessian", "tol")
    max_iter: int = default("hessian", "max_iter")
    trace_rtol: float = default("hessian", "trace_rtol")
    trace_max_samples: int = default("hessian", "trace_max_samples")
    hutchpp_hvps: int = default("hessian", "hutchpp_hvps")
    esd_runs: int = default("hessian", "esd_runs")
    esd_steps: int = default("hessian", "esd_steps")
    seed: int = default("hessian", "seed")
    dtype: str = default("hessian", "dtype")


@dataclass(frozen=True)
class DirectionSettings:
    """Config `landscape.<kind>`: how the directions of one kind are normalised and how far the grid goes."""

    normalization: str
    distance: float
    ignore_bias: bool

    @classmethod
    def default(cls, kind: str) -> DirectionSettings:
        """The schema's defaults of direction kind `kind` (they differ by kind)."""
        return cls(**{f.name: default("landscape", kind, f.name) for f in fields(cls)})


@dataclass(frozen=True)
class LandscapeSettings(_Section):
    """Config `landscape`: keys shared by every kind, and each direction kind's own settings."""

    STAGE: ClassVar[str] = "landscape"
    kinds: tuple[str, ...] = tuple(default("landscape", "kinds"))
    steps: int = default("landscape", "steps")
    steps_3d: int = default("landscape", "steps_3d")
    steps_4d: int = default("landscape", "steps_4d")
    chunk_memory_mb: int = default("landscape", "chunk_memory_mb")
    save_every_s: float = default("landscape", "save_every_s")
    seed: int = default("landscape", "seed")
    dtype: str = default("landscape", "dtype")
    random: DirectionSettings = field(default_factory=partial(DirectionSettings.default, "random"))
    hessian: DirectionSettings = field(default_factory=partial(DirectionSettings.default, "hessian"))
    pca: DirectionSettings = field(default_factory=partial(DirectionSettings.default, "pca"))

    @classmethod
    def _from_dict(cls, section: dict[str, Any]) -> LandscapeSettings:
        """From a complete section: its kinds as a tuple, each kind's keys as DirectionSettings."""
        kinds = {kind: DirectionSettings(**section[kind]) for kind in KINDS}
        return cls(**{**section, "kinds": tuple(section["kinds"]), **kinds})

    def to_dict(self) -> dict[str, Any]:
        """The config section (kinds as a list, as YAML gives it)."""
        return {**asdict(self), "kinds": list(self.kinds)}

    def with_steps(self, steps: int, dims: tuple[int, ...] = (2, 3, 4)) -> LandscapeSettings:
        """These settings with `steps` points per axis for landscapes of `dims`."""
        return replace(self, **{STEPS_KEYS[dim]: steps for dim in dims})

    def for_every_kind(self, **changes: Any) -> LandscapeSettings:
        """These settings with the same direction `changes` (e.g. distance=0.5) for every kind."""
        return replace(self, **{kind: replace(getattr(self, kind), **changes) for kind in KINDS})

    def job(self, kind: str, dim: int) -> dict[str, Any]:
        """The settings of one landscape job (see `landscape_job`)."""
        return landscape_job(self.to_dict(), kind, dim)


@dataclass(frozen=True)
class TopologySettings(_Section):
    """Config `topology`: the grid graph of the merge tree and the persistence kept."""

    STAGE: ClassVar[str] = "topology"
    connectivity: str = default("topology", "connectivity")
    k: int = default("topology", "k")
    persistence_threshold: float = default("topology", "persistence_threshold")


STAGES = {"hessian": HessianSettings, "landscape": LandscapeSettings, "topology": TopologySettings}


@dataclass(frozen=True)
class Settings:
    """The three stages' settings of one model."""

    hessian: HessianSettings = HessianSettings()
    landscape: LandscapeSettings = LandscapeSettings()
    topology: TopologySettings = TopologySettings()

    @classmethod
    def from_sections(cls, *layers: dict[str, dict[str, Any]] | None) -> Settings:
        """The schema's defaults <- each layer's `hessian`/`landscape`/`topology` sections in turn, merged
        key by key (e.g. a config's sections, then a model's overrides), each stage checked by the schema."""
        return cls(**{
            stage: settings.from_config(reduce(merged, [(layer or {}).get(stage) for layer in layers], {}))
            for stage, settings in STAGES.items()
        })

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """The three config sections."""
        return {stage: getattr(self, stage).to_dict() for stage in STAGES}


def landscape_job(section: dict[str, Any], kind: str, dim: int) -> dict[str, Any]:
    """One landscape job's settings: the section's shared keys, its kind's keys, and the points per axis
    of its dim as `steps` (the dict the landscape stage records, in the section's key order)."""
    if kind not in KINDS:
        raise ValueError(f"unknown landscape kind {kind!r}; expected one of {list(KINDS)}")
    if dim not in STEPS_KEYS:
        raise ValueError(f"landscape dim must be 2, 3 or 4, got {dim}")
    shared = {k: v for k, v in section.items() if k not in KINDS}
    return {**shared, **section[kind], "steps": section[STEPS_KEYS[dim]]}
