"""`convert()`: plan, parse in a process pool (streamed), assign categories, write COCO + report.

Parsing is the expensive part and every file is independent, so files go to a
`multiprocessing.Pool` through `imap` in chunks: results stream back in order while workers keep
reading, and nothing needs all files in memory before writing but the COCO lists themselves.
Categories and annotation ids are decided in the parent after all labels are known, so the id
of a category never depends on which file came first and every split shares one list.
"""
from __future__ import annotations

import json
import multiprocessing
import os
from collections import Counter
from pathlib import Path
from typing import Dict, Iterable, Iterator, List

from ppdet.convert import geometry as G
from ppdet.convert.options import ConvertOptions
from ppdet.convert.plan import Plan, make_plan
from ppdet.convert.records import FileResult
from ppdet.convert.report import ConversionReport, SplitStats
from ppdet.convert.task import IGNORE_LABELS
from ppdet.core.errors import ConvertError


def read_label_list(path: str) -> List[str]:
    """Category names, one per line, in id order; blank lines and ignore labels skipped."""
    names: List[str] = []
    try:
        with open(path, encoding='utf-8') as f:
            lines = f.read().splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise ConvertError(f'{path}: cannot read label list: {e}') from None
    for lineno, line in enumerate(lines, start=1):
        name = line.strip()
        if not name or name in IGNORE_LABELS:
            continue
        if name in names:
            raise ConvertError(f'{path}:{lineno}: label "{name}" listed twice')
        names.append(name)
    if not names:
        raise ConvertError(f'{path}: label list has no labels')
    return names


def _results(plan: Plan, workers: int) -> Iterator[FileResult]:
    """Parse every task, in plan order; a pool only when it can help."""
    if workers <= 1 or len(plan.tasks) < 2 * workers:
        for t in plan.tasks:
            yield plan.parser(t)
        return
    chunk = max(1, min(256, len(plan.tasks) // (workers * 8)))
    ctx = multiprocessing.get_context('fork' if hasattr(os, 'fork') else 'spawn')
    with ctx.Pool(workers) as pool:
        yield from pool.imap(plan.parser, plan.tasks, chunksize=chunk)


def _collect(results: Iterable[FileResult],
             report: ConversionReport) -> Dict[str, List[FileResult]]:
    """Group usable results by split; copy issues; refuse duplicate image names per split."""
    by_split: Dict[str, List[FileResult]] = {}
    names: Dict[tuple, FileResult] = {}
    ids: Dict[tuple, int] = {}
    dup_names, dup_ids = [], []
    for r in results:
        report.issues.extend(r.issues)
        if r.image is None:
            continue
        key = (r.split, r.image.file_name)
        if key in names:
            first = names[key]
            same = first.origin and first.origin == r.origin
            report.add('error', 'duplicate', r.source,
                       f'image file name {r.image.file_name} in split {r.split} is already used '
                       f'by {first.source}' + (' (same image)' if same else ' (a different image)')
                       + '; this file was left out')
            dup_names.append(r.image.file_name)
            continue
        if (r.split, r.image_id) in ids:
            dup_ids.append(r.image_id)
            report.add('error', 'duplicate', r.source, f'image id {r.image_id} already used')
            continue
        names[key] = r
        ids[(r.split, r.image_id)] = 1
        by_split.setdefault(r.split, []).append(r)
    report.duplicates = {'image_ids': sorted(set(dup_ids)), 'file_names': sorted(set(dup_names)),
                         'annotation_ids': []}
    return by_split


def _categories(opts: ConvertOptions, by_split: Dict[str, List[FileResult]],
                report: ConversionReport) -> List[str]:
    fixed = opts.fixed_label_file
    if fixed:
        report.category_source = f'fixed by {fixed}'
        return read_label_list(fixed)
    report.category_source = 'sorted union of the labels found'
    return sorted({inst.label for rs in by_split.values() for r in rs for inst in r.instances})


def _coco_split(results: List[FileResult], cat_ids: Dict[str, int], next_ann: int,
                stats: SplitStats, report: ConversionReport) -> dict:
    images, anns = [], []
    for r in sorted(results, key=lambda x: x.image_id):
        images.append({'id': r.image_id, 'file_name': r.image.file_name,
                       'width': r.image.width, 'height': r.image.height})
        for inst in r.instances:
            if inst.label not in cat_ids:
                report.add('error', 'unknown_label', r.source,
                           f'label "{inst.label}" is not in the label list; annotation left out')
                continue
            ann = {'id': next_ann + len(anns), 'image_id': r.image_id,
                   'category_id': cat_ids[inst.label], 'bbox': G.xyxy_to_xywh(inst.box),
                   'area': inst.area, 'iscrowd': inst.iscrowd,
                   'segmentation': inst.segmentation or []}
            ann.update(inst.extra)
            anns.append(ann)
            stats.per_category[inst.label] += 1
            stats.crowd += inst.iscrowd
            stats.difficult += int(inst.extra.get('difficult', 0))
    stats.images, stats.annotations = len(images), len(anns)
    cats = [{'id': i, 'name': n, 'supercategory': 'none'} for n, i in cat_ids.items()]
    return {'info': {'description': 'converted by ppdet x2coco'}, 'images': images,
            'annotations': anns, 'categories': cats}


def _write_json(path: Path, obj: dict) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, 'w', encoding='utf-8') as f:
            json.dump(obj, f, ensure_ascii=False)
    except OSError as e:
        raise ConvertError(f'{path}: cannot write: {e}') from None


def convert(opts: ConvertOptions, write_report: bool = True) -> ConversionReport:
    """Convert per `opts`; return the report (see `report.ok`). Raises ConvertError on bad options.

    Outputs are written even when the report has errors, so the user can inspect them; the
    report (and the tool's exit code) says the run failed.
    """
    opts.check()
    report = ConversionReport(opts.dataset_type, strict=opts.strict, seed=opts.seed)
    if opts.fixed_label_file:
        read_label_list(opts.fixed_label_file)   # fail on a bad list before parsing anything
    plan = make_plan(opts, report)
    report.source_files = len({t.image_id for t in plan.tasks})
    if not plan.tasks:
        report.add('error', 'empty', opts.json_input_dir or opts.voc_anno_dir or '',
                   'no annotation files found')
    by_split = _collect(_results(plan, opts.workers), report)
    cats = _categories(opts, by_split, report)
    report.categories = cats
    cat_ids = {n: i for i, n in enumerate(cats, start=1)}
    next_ann = 1
    ann_ids: Counter = Counter()
    for split, path in plan.outputs.items():
        stats = report.splits.setdefault(split, SplitStats())
        coco = _coco_split(by_split.get(split, []), cat_ids, next_ann, stats, report)
        next_ann += len(coco['annotations'])
        ann_ids.update(a['id'] for a in coco['annotations'])
        if not coco['images']:
            report.add('warning', 'empty_split', str(path), f'split {split} has no images')
        _write_json(path, coco)
        report.outputs[split] = str(path)
    report.duplicates['annotation_ids'] = sorted(i for i, n in ann_ids.items() if n > 1)
    if write_report and plan.report_path is not None:
        report.report_path = str(plan.report_path)
        _write_json(plan.report_path, report.to_dict())
    return report
