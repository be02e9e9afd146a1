"""`convert()`: plan, parse in a process pool (streamed), assign categories, write COCO + report.

Parsing is the expensive part and every file is independent, so files go to a
`multiprocessing.Pool` (one process per usable core by default) through `imap` in chunks:
results stream back in order while workers keep reading. Each file's annotations leave the
worker already written as JSON (all but their ids), so formatting the floats runs in parallel
and the parent only numbers and splices. Categories and annotation ids are decided in the parent
after all labels are known, so the id of a category never depends on which file came first and
every split shares one list.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterable, Iterator, List, Tuple

from ppdet.convert.options import ConvertOptions
from ppdet.convert.plan import Plan, make_plan
from ppdet.convert.records import FileResult
from ppdet.convert.report import ConversionReport, SplitStats
from ppdet.convert.task import IGNORE_LABELS, Task
from ppdet.core.errors import ConvertError
from ppdet.utils.processes import worker_context


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


def _parse_encoded(job: Tuple[Callable[[Task], FileResult], Task]) -> FileResult:
    """Run in a worker: parse one file and write its annotations as JSON there."""
    parser, task = job
    return parser(task).encode()


def _results(plan: Plan, workers: int) -> Iterator[FileResult]:
    """Parse every task, in plan order; a pool only when it can help."""
    jobs = ((plan.parser, t) for t in plan.tasks)
    if workers <= 1 or len(plan.tasks) < 2 * workers:
        yield from map(_parse_encoded, jobs)
        return
    chunk = max(1, min(256, len(plan.tasks) // (workers * 8)))
    with worker_context().Pool(workers) as pool:
        yield from pool.imap(_parse_encoded, jobs, chunksize=chunk)


def _collect(results: Iterable[FileResult],
             report: ConversionReport) -> Dict[str, List[FileResult]]:
    """Group usable results by split; copy issues; refuse duplicate image names per split."""
    by_split: Dict[str, List[FileResult]] = {}
    names: Dict[tuple, FileResult] = {}
    ids: Dict[tuple, int] = {}
    dup_names, dup_ids = [], []
    for r in results:
        report.issues.extend(r.issues)
        if r.placed:
            report.placement[r.placed] += 1
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


@dataclass
class CocoSplit:
    """One split's COCO content: image entries, annotations already as JSON text, their ids."""
    images: List[dict] = field(default_factory=list)
    annotations: List[str] = field(default_factory=list)
    ann_ids: List[int] = field(default_factory=list)

    def text(self, categories: List[dict]) -> str:
        """The file as `json.dumps` writes the whole dict (byte for byte), annotations spliced
        in as the workers wrote them."""
        head = json.dumps({'info': {'description': 'converted by ppdet x2coco'},
                           'images': self.images}, ensure_ascii=False)
        return (head[:-1] + ', "annotations": [' + ', '.join(self.annotations) +
                '], "categories": ' + json.dumps(categories, ensure_ascii=False) + '}')


def _coco_split(results: List[FileResult], cat_ids: Dict[str, int], next_ann: int,
                stats: SplitStats, report: ConversionReport) -> CocoSplit:
    out = CocoSplit()
    for r in sorted(results, key=lambda x: x.image_id):
        out.images.append({'id': r.image_id, 'file_name': r.image.file_name,
                           'width': r.image.width, 'height': r.image.height})
        for inst in r.instances:
            if inst.label not in cat_ids:
                report.add('error', 'unknown_label', r.source,
                           f'label "{inst.label}" is not in the label list; annotation left out')
                continue
            ann_id = next_ann + len(out.ann_ids)
            out.ann_ids.append(ann_id)
            out.annotations.append(inst.annotation_json(ann_id, r.image_id, cat_ids[inst.label]))
            stats.per_category[inst.label] += 1
            stats.crowd += inst.iscrowd
            stats.difficult += inst.difficult
    stats.images, stats.annotations = len(out.images), len(out.annotations)
    return out


def _write_text(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, 'w', encoding='utf-8') as f:
            f.write(text)
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
    by_split = _collect(_results(plan, opts.worker_count), report)
    cats = _categories(opts, by_split, report)
    report.categories = cats
    cat_ids = {n: i for i, n in enumerate(cats, start=1)}
    categories = [{'id': i, 'name': n, 'supercategory': 'none'} for n, i in cat_ids.items()]
    next_ann = 1
    ann_ids: Counter = Counter()
    for split, path in plan.outputs.items():
        stats = report.splits.setdefault(split, SplitStats())
        coco = _coco_split(by_split.get(split, []), cat_ids, next_ann, stats, report)
        next_ann += len(coco.ann_ids)
        ann_ids.update(coco.ann_ids)
        if not coco.images:
            report.add('warning', 'empty_split', str(path), f'split {split} has no images')
        _write_text(path, coco.text(categories))
        report.outputs[split] = str(path)
    report.duplicates['annotation_ids'] = sorted(i for i, n in ann_ids.items() if n > 1)
    if write_report and plan.report_path is not None:
        report.report_path = str(plan.report_path)
        # json.dumps, not json.dump: only the one-shot encoder is the C one (3-4x faster)
        _write_text(plan.report_path, json.dumps(report.to_dict(), ensure_ascii=False))
    return report
