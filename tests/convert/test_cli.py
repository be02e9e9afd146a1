"""tools/x2coco.py: exit codes and printed report, run as users run it."""
import sys
from pathlib import Path

from tests.convert.helpers import shape, write_image, write_labelme
from tests.helpers.proc import run as run_child

TOOL = Path(__file__).resolve().parents[2] / 'tools' / 'x2coco.py'


def _run(*args):
    return run_child([sys.executable, str(TOOL), *map(str, args)], timeout=120)


def test_exit_codes(tmp_path):
    d = tmp_path / 'in'
    write_image(d / 'x.jpg', 20, 20)
    write_labelme(d / 'x.json', [shape('a', [[1, 1], [5, 5]], 'rectangle'),
                                 shape('a', [[3, 3]], 'point')], 'x.jpg', 20, 20)
    base = ['--dataset_type', 'labelme', '--json_input_dir', d, '--output_dir', tmp_path / 'o']
    p = _run(*base)
    assert p.returncode == 0, p.stderr
    assert 'refused' in p.stdout and 'OK:' in p.stdout
    p = _run(*base, '--strict')
    assert p.returncode == 1 and 'FAILED' in p.stdout
    (d / 'bad.json').write_text('{')
    assert _run(*base).returncode == 1
    p = _run(*base, '--train_proportion', '0.5')
    assert p.returncode == 2 and 'sum to 1' in p.stderr and 'Traceback' not in p.stderr
