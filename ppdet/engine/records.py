"""The run folder: what every training run leaves behind for people and tools to read.

    <output_dir>/config.yml        the resolved config (loads back with tools/*.py -c)
    <output_dir>/load_report.txt   what the weight loader loaded, skipped and why (+ .json)
    <output_dir>/metrics.jsonl     one JSON object per logged step / evaluation
    <output_dir>/loss.png, map.png the curves, redrawn after each evaluation and at the end

VisualDL logs, when asked for, are written by `ppdet.engine.visualdl.VisualDLLog`.
"""
from __future__ import annotations

import json
import os
from typing import Any, Dict, List, Optional

from ppdet.utils.fileio import atomic_write_text

__all__ = ['RunRecord']


class RunRecord:
    """The files of one run folder; `enabled=False` writes nothing (dry runs, other ranks)."""

    def __init__(self, output_dir: str, enabled: bool = True) -> None:
        self.dir = output_dir
        self.enabled = enabled
        if enabled:
            os.makedirs(output_dir, exist_ok=True)
        self.metrics_path = os.path.join(output_dir, 'metrics.jsonl')

    def path(self, name: str) -> str:
        return os.path.join(self.dir, name)

    def write_text(self, name: str, text: str) -> Optional[str]:
        if not self.enabled:
            return None
        atomic_write_text(self.path(name), text)
        return self.path(name)

    def write_json(self, name: str, value: Any) -> Optional[str]:
        return self.write_text(name, json.dumps(value, indent=1, default=_jsonable) + '\n')

    def log(self, entry: Dict[str, Any]) -> None:
        if not self.enabled:
            return
        with open(self.metrics_path, 'a', encoding='utf-8') as f:
            f.write(json.dumps(entry, default=_jsonable) + '\n')

    def read_log(self) -> List[Dict[str, Any]]:
        if not os.path.exists(self.metrics_path):
            return []
        with open(self.metrics_path, encoding='utf-8') as f:
            return [json.loads(line) for line in f if line.strip()]

    def plot(self) -> List[str]:
        """Draw loss.png and map.png from metrics.jsonl; return the files written."""
        if not self.enabled:
            return []
        from ppdet.engine.plots import plot_curves
        return plot_curves(self.read_log(), self.dir)


def _jsonable(value: Any) -> Any:
    try:
        import numpy as np
        if isinstance(value, np.generic):
            return value.item()
        if isinstance(value, np.ndarray):
            return value.tolist()
    except ImportError:  # pragma: no cover
        pass
    return str(value)
