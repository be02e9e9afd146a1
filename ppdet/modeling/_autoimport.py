"""Import every module of a subpackage so its classes register (no other side effects)."""
from __future__ import annotations

import importlib
import pkgutil
from typing import Iterable, List


def import_all(package_name: str, paths: Iterable[str]) -> List[str]:
    """Import `package_name.<module>` for each module file found in `paths`; return names."""
    names = []
    for info in sorted(pkgutil.iter_modules(list(paths)), key=lambda m: m.name):
        if info.name.startswith('_'):
            continue
        importlib.import_module(f'{package_name}.{info.name}')
        names.append(info.name)
    return names
