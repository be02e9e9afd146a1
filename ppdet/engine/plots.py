"""PNG curves of a run (loss per iteration, mAP per evaluation), drawn headless."""
from __future__ import annotations

import os
from typing import Any, Dict, List

__all__ = ['plot_curves']


def _save(plt, fig, ax, xlabel: str, ylabel: str, path: str) -> str:
    """Label, grid and write one figure; returns its path."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def plot_curves(entries: List[Dict[str, Any]], out_dir: str) -> List[str]:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    written: List[str] = []
    train = [e for e in entries if e.get('type') == 'train']
    if train:
        fig, ax = plt.subplots(figsize=(7, 4))
        keys = [k for k in train[-1] if k.startswith('loss')]
        for k in keys:
            pts = [(e['iter'], e[k]) for e in train if k in e]
            ax.plot([p[0] for p in pts], [p[1] for p in pts], label=k,
                    linewidth=2 if k == 'loss' else 1)
        ax.set_yscale('log')
        ax.legend(fontsize=8)
        written.append(_save(plt, fig, ax, 'iteration', 'loss', os.path.join(out_dir, 'loss.png')))
    evals = [e for e in entries if e.get('type') == 'eval' and 'map' in e]
    if evals:
        fig, ax = plt.subplots(figsize=(7, 4))
        ax.plot([e['epoch'] for e in evals], [100 * e['map'] for e in evals], marker='o')
        written.append(_save(plt, fig, ax, 'epoch', evals[-1].get('metric_name', 'mAP') + ' (%)',
                             os.path.join(out_dir, 'map.png')))
    return written
