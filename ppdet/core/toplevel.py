"""The top-level keys a config may hold besides class sections: the dataset slots, and the
keys other packages declare.

The core names none of the engine's or the loaders' keys. Each package declares the keys it
acts on, with their types, when it is imported (`register_toplevel_keys`, called from its
`registration` module, see `ppdet.core.registry.ensure_components_loaded`), and the keys of
PaddleDetection 2.6 configs it accepts without acting on them (`register_unused_keys`): those
load without error and are reported as unused, so that a team's config works unmodified and
nobody believes a key did something.

Like class registration, this is a table filled once at import; config values never go in it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional, Sequence, Tuple

__all__ = ['DATASET_SLOTS', 'TopLevelKey', 'register_toplevel_keys', 'register_unused_keys',
           'toplevel_key', 'toplevel_names']

# Top-level keys that hold a dataset (a `!Tag` or a mapping with `name:`), built with
# `create('TrainDataset', cfg)`: part of the dialect itself.
DATASET_SLOTS = ('TrainDataset', 'EvalDataset', 'TestDataset')


@dataclass(frozen=True)
class TopLevelKey:
    """One declared top-level key."""
    name: str
    owner: str                              # module that declared it
    annotation: Any = Any                   # type hint its value must satisfy
    choices: Optional[Tuple[Any, ...]] = None  # the allowed values, when they are enumerated
    unused_reason: Optional[str] = None     # set for keys accepted without effect: why

    @property
    def acted_on(self) -> bool:
        return self.unused_reason is None


_KEYS: Dict[str, TopLevelKey] = {}


def _add(key: TopLevelKey) -> None:
    old = _KEYS.get(key.name)
    if old is not None and old.owner != key.owner:
        raise TypeError(f'top-level key {key.name!r} declared by both {old.owner} and '
                        f'{key.owner}; one package must own it')
    _KEYS[key.name] = key


def register_toplevel_keys(owner: str, types: Mapping[str, Any],
                           choices: Optional[Mapping[str, Sequence[Any]]] = None) -> None:
    """Declare the top-level keys module `owner` acts on: name -> type hint, and for some the
    allowed values. The validator checks their values; a typo gets a did-you-mean."""
    choices = choices or {}
    for name in choices:
        if name not in types:
            raise TypeError(f'{owner}: choices for {name!r}, which it does not declare')
    for name, annotation in types.items():
        allowed = tuple(choices[name]) if name in choices else None
        _add(TopLevelKey(name, owner, annotation, allowed))


def register_unused_keys(owner: str, reasons: Mapping[str, str]) -> None:
    """Declare PaddleDetection keys that load but do nothing here: name -> why (reported)."""
    for name, why in reasons.items():
        _add(TopLevelKey(name, owner, unused_reason=why))


def toplevel_key(name: str) -> Optional[TopLevelKey]:
    return _KEYS.get(name)


def toplevel_names() -> Tuple[str, ...]:
    return tuple(sorted(_KEYS))


register_toplevel_keys(__name__, {'architecture': str})  # the class the run builds
