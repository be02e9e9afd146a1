"""Check a merged config against the schemas of what it configures, before anything is built.

Every key is looked up: top-level keys against the dataset slots, the keys packages declare
(`ppdet.core.toplevel`), `__shared__` names and registered sections; sections and components
are read by `ppdet.core.resolve` (the reading the builder uses too) and their problems
reported. Problems are collected and raised together, each with its file:line or `-o` item.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Optional, Tuple

from ppdet.core.config import Config
from ppdet.core.errors import ConfigError, did_you_mean
from ppdet.core.registry import Param, get_schema, registered_names
from ppdet.core.resolve import Problem, check_type, resolve_component, resolve_section
from ppdet.core.toplevel import DATASET_SLOTS, toplevel_key, toplevel_names
from ppdet.core.typecheck import describe_type, type_problem  # noqa: F401  (re-exported)
from ppdet.core.yaml_loader import Path

__all__ = ['validate_config', 'ValidationResult', 'type_problem', 'describe_type']


@dataclass
class ValidationResult:
    unused: List[Tuple[str, str, str]] = field(default_factory=list)  # key, why, where


def _shared_params() -> Dict[str, Param]:
    """Every `__shared__` argument name, with the first declaring class's parameter."""
    out: Dict[str, Param] = {}
    for name in registered_names():
        for p in get_schema(name).params.values():
            if p.shared:
                out.setdefault(p.name, p)
    return out


def _value_problems(key: str, value: Any, annotation: Any, allowed: Optional[tuple],
                    path: Path) -> Iterator[Problem]:
    """A top-level value against its type hint and, when they are enumerated, its choices."""
    problem = check_type(value, annotation, path)
    if problem is not None:
        yield problem
    if allowed is not None and value not in allowed:
        yield Problem(path, f'{key} must be one of {", ".join(str(a) for a in allowed)}, '
                            f'not {value!r}' + did_you_mean(str(value), [str(a) for a in allowed]))


def _toplevel_problems(cfg: Config, result: ValidationResult) -> Iterator[Problem]:
    shared = _shared_params()
    known = set(toplevel_names()) | set(shared) | set(DATASET_SLOTS) | set(registered_names())
    for key, value in cfg.items():
        path = (key,)
        declared = toplevel_key(key)
        if key in DATASET_SLOTS:
            yield from resolve_component(value, path, slot=True).problems()
        elif get_schema(key) is not None:
            yield from resolve_section(get_schema(key), value, path).problems()
        elif declared is not None and declared.acted_on:
            yield from _value_problems(key, value, declared.annotation, declared.choices, path)
        elif key in shared:
            yield from _value_problems(key, value, shared[key].annotation, None, path)
        elif declared is not None:
            result.unused.append((key, declared.unused_reason, cfg.where(path)))
        else:
            yield Problem(path, f'unknown top-level key {key!r}' + did_you_mean(key, known))
    arch = cfg.get('architecture')
    if isinstance(arch, str) and get_schema(arch) is None:
        yield Problem(('architecture',), f'architecture {arch!r} is not a registered class'
                                         + did_you_mean(arch, registered_names()))


def validate_config(cfg: Config) -> ValidationResult:
    """Raise ConfigError listing every problem in `cfg`; return the accepted-but-unused keys."""
    result = ValidationResult()
    errors = [f'{cfg.where(p.path)}: {p.message}' for p in _toplevel_problems(cfg, result)]
    if errors:
        head = f'{len(errors)} problem(s) in the config:' if len(errors) > 1 else ''
        raise ConfigError('\n'.join(([head] if head else []) + errors))
    return result
