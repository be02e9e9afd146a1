"""Before any parsing: which files, which image id, which split, where outputs go.

Image ids are positions in the sorted list of source files (+1), fixed before the pool starts,
so they are the same for any worker count and any seed. The split is a shuffle of those ids by
`random.Random(seed)`, never directory order.
"""
from __future__ import annotations

import os
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

from ppdet.convert.cityscapes import POLYGON_SUFFIX, parse_cityscapes
from ppdet.convert.images import is_image_name
from ppdet.convert.labelme import parse_labelme
from ppdet.convert.options import ConvertOptions
from ppdet.convert.records import FileResult
from ppdet.convert.report import ConversionReport
from ppdet.convert.task import Task
from ppdet.convert.voc import parse_voc

SPLITS = ('train', 'val', 'test')


@dataclass
class Plan:
    """Tasks in image-id order, the split names in output order and each split's JSON path."""
    tasks: List[Task]
    parser: Callable[[Task], FileResult]
    outputs: Dict[str, Path] = field(default_factory=dict)
    report_path: Optional[Path] = None


def split_counts(n: int, props: Sequence[float]) -> List[int]:
    """Sizes of consecutive splits by cumulative rounding: they always add up to n."""
    out, done, acc = [], 0, 0.0
    for p in props:
        acc += p
        end = n if abs(acc - 1.0) < 1e-9 else int(round(n * acc))
        out.append(end - done)
        done = end
    return out


def assign_splits(n: int, opts: ConvertOptions) -> Dict[int, str]:
    """{image_id: split} for ids 1..n, by a seeded shuffle and the three proportions."""
    ids = list(range(1, n + 1))
    random.Random(opts.seed).shuffle(ids)
    props = (opts.train_proportion, opts.val_proportion, opts.test_proportion)
    out: Dict[int, str] = {}
    start = 0
    for name, count in zip(SPLITS, split_counts(n, props)):
        for i in ids[start:start + count]:
            out[i] = name
        start += count
    return out


def _scan(root: Path, keep: Callable[[str], bool], report: ConversionReport,
          what: str) -> List[str]:
    """Files under root (recursive; sorted component by component, as paths compare) that
    `keep` accepts; non-images counted as info."""
    kept, others = [], []
    top = str(root)
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames.sort()
        for name in filenames:
            if keep(name):
                kept.append(os.path.normpath(os.path.join(dirpath, name)))
            elif not is_image_name(name):
                others.append(os.path.relpath(os.path.join(dirpath, name), top))
    kept.sort(key=lambda f: f.split(os.sep))
    if others:
        shown = ', '.join(sorted(others)[:5]) + (' ...' if len(others) > 5 else '')
        report.add('info', 'skipped', str(root), f'{len(others)} file(s) neither {what} nor '
                   f'images were ignored: {shown}')
    return kept


def _proportion_plan(files: Sequence[Union[str, Path]], root: Path, opts: ConvertOptions,
                     parser: Callable[[Task], FileResult], image_dir: Optional[str]) -> Plan:
    out_dir = Path(opts.output_dir)
    splits = assign_splits(len(files), opts)
    props = dict(zip(SPLITS, (opts.train_proportion, opts.val_proportion, opts.test_proportion)))
    dest = {s: str(out_dir / s) if opts.copy_images else None for s in SPLITS}
    tasks = [Task(i, str(f), splits[i], str(root), image_dir, dest[splits[i]], opts.place_images)
             for i, f in enumerate(files, start=1)]
    outputs = {s: out_dir / 'annotations' / f'instance_{s}.json' for s in SPLITS if props[s] > 0}
    return Plan(tasks, parser, outputs, out_dir / 'x2coco_report.json')


def plan_labelme(opts: ConvertOptions, report: ConversionReport) -> Plan:
    root = Path(opts.json_input_dir)
    files = _scan(root, lambda n: n.lower().endswith('.json'), report, 'labelme .json')
    return _proportion_plan(files, root, opts, parse_labelme, opts.image_input_dir)


def plan_cityscapes(opts: ConvertOptions, report: ConversionReport) -> Plan:
    root = Path(opts.json_input_dir)
    files = _scan(root, lambda n: n.endswith(POLYGON_SUFFIX), report, f'*{POLYGON_SUFFIX}')
    return _proportion_plan(files, root, opts, parse_cityscapes, opts.image_input_dir)


def _voc_image_dir(opts: ConvertOptions) -> Optional[str]:
    """--image_input_dir, else the VOC layout's sibling JPEGImages folder when it exists (each
    file also looks beside its XML: see `ppdet.convert.voc`)."""
    if opts.image_input_dir:
        return opts.image_input_dir
    sibling = Path(opts.voc_anno_dir).resolve().parent / 'JPEGImages'
    return str(sibling) if sibling.is_dir() else None


def _read_voc_list(list_file: Path, anno_dir: Path,
                   report: ConversionReport) -> List[Path]:
    """XML paths named by a list file: ids, `x.xml` names, or `image.jpg anno.xml` pairs."""
    out, seen = [], set()
    with open(list_file, encoding='utf-8') as f:
        for lineno, line in enumerate(f, start=1):
            parts = line.split()
            if not parts or parts[0].startswith('#'):
                continue
            token = parts[-1]
            path = anno_dir / (Path(token).name if token.endswith('.xml') else token + '.xml')
            if path in seen:
                report.add('warning', 'duplicate', f'{list_file}:{lineno}',
                           f'{token} listed twice; converted once')
                continue
            seen.add(path)
            if not path.is_file():
                report.add('error', 'missing_annotation', f'{list_file}:{lineno}',
                           f'{path} not found')
                continue
            out.append(path)
    return out


def plan_voc(opts: ConvertOptions, report: ConversionReport) -> Plan:
    anno_dir = Path(opts.voc_anno_dir)
    image_dir = _voc_image_dir(opts)
    if not opts.voc_anno_list:
        files = _scan(anno_dir, lambda n: n.lower().endswith('.xml'), report, 'VOC .xml')
        return _proportion_plan(files, anno_dir, opts, parse_voc, image_dir)
    names = opts.voc_out_names()
    lists: List[Tuple[str, List[Path]]] = [
        (name, _read_voc_list(Path(lst), anno_dir, report))
        for name, lst in zip(names, opts.voc_anno_list)]
    ids = {p: i for i, p in enumerate(sorted({p for _, ps in lists for p in ps}), start=1)}
    out_dir = Path(opts.output_dir) if opts.output_dir else None
    dest = str(out_dir / 'images') if out_dir is not None and opts.copy_images else None
    tasks, copied = [], set()
    for name, paths in lists:
        for p in paths:
            first = ids[p] not in copied
            copied.add(ids[p])
            tasks.append(Task(ids[p], str(p), name, str(anno_dir), image_dir,
                              dest if first else None, opts.place_images))
    outputs = {name: (out_dir / 'annotations' / name if out_dir is not None else Path(name))
               for name in names}
    report_path = (out_dir if out_dir is not None else Path(names[0]).parent) / 'x2coco_report.json'
    return Plan(tasks, parse_voc, outputs, report_path)


def make_plan(opts: ConvertOptions, report: ConversionReport) -> Plan:
    """The plan for `opts.dataset_type`; options must already be checked."""
    if opts.dataset_type == 'labelme':
        return plan_labelme(opts, report)
    if opts.dataset_type == 'cityscape':
        return plan_cityscapes(opts, report)
    return plan_voc(opts, report)
