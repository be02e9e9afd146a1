"""tools/benchmark.py x2coco runs PaddleDetection's documented labelme command (tiny size here;
the figures themselves are not asserted: machines differ)."""
import sys
from pathlib import Path

from ppdet.benchmark.x2coco import command
from tests.helpers.proc import run as run_child

ROOT = Path(__file__).resolve().parents[2]


def test_command_is_paddledetections_labelme_form():
    args = command(Path('tools/x2coco.py'), Path('a'), Path('i'), Path('o'))[1:]
    assert args == ['tools/x2coco.py', '--dataset_type', 'labelme', '--json_input_dir', 'a',
                    '--image_input_dir', 'i', '--output_dir', 'o', '--train_proportion', '0.8',
                    '--val_proportion', '0.2', '--test_proportion', '0.0']


def test_benchmark_runs_against_a_baseline(tmp_path):
    p = run_child([sys.executable, str(ROOT / 'tools' / 'benchmark.py'), 'x2coco',
                   '--num-files', '12', '--runs', '1', '--data-dir', str(tmp_path),
                   '--baseline', str(ROOT / 'tools' / 'x2coco.py')], timeout=300, cwd=ROOT)
    assert p.returncode == 0, p.stdout + p.stderr
    assert 'ours: images: 12 hard-linked' in p.stdout
    assert 'ratio ours/baseline (medians, same run)' in p.stdout
    assert len(list((tmp_path / 'labelme_annos').iterdir())) == 12
    assert not (tmp_path / 'x2coco_out').exists()       # each run's output is removed
