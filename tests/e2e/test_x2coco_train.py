"""Convert the shipped BCCD (VOC) to COCO with tools/x2coco.py, then train on the result."""
import json
import os
import sys

from tests.helpers.proc import run as run_child

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _run(*args):
    proc = run_child([sys.executable, *args], cwd=ROOT,
                     timeout=600, env=dict(os.environ, OMP_NUM_THREADS='1'))
    return proc


def test_convert_bccd_then_train_a_few_iterations(tmp_path):
    out = tmp_path / 'bccd_coco'
    proc = _run('tools/x2coco.py', '--dataset_type', 'voc',
                '--voc_anno_dir', 'dataset/bccd/Annotations',
                '--voc_anno_list', 'dataset/bccd/train.txt', 'dataset/bccd/val.txt',
                'dataset/bccd/test.txt', '--voc_label_list', 'dataset/bccd/label_list.txt',
                '--output_dir', str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    train = json.loads((out / 'annotations' / 'train.json').read_text())
    assert [c['name'] for c in train['categories']] == ['RBC', 'WBC', 'Platelets']
    run = tmp_path / 'run'
    proc = _run('tools/train.py', '-c', 'configs/yolov3/yolov3_mobilenet_v1_bccd_coco.yml',
                '--eval', '--output_dir', str(run), '-o', 'pretrain_weights=', 'epoch=1',
                'max_iters=3', 'worker_num=0', 'MobileNet.scale=0.25',
                f'TrainDataset.dataset_dir={out}', f'EvalDataset.dataset_dir={out}',
                'TrainDataset.sample_num=6', 'EvalDataset.sample_num=3',
                'TrainReader.batch_size=2',
                'TrainReader.batch_transforms.0.BatchRandomResize.target_size=[160]',
                'EvalReader.sample_transforms.1.Resize.target_size=[160, 160]')
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert 'COCODataSet' in proc.stdout + proc.stderr
    log = [json.loads(line) for line in open(run / 'metrics.jsonl')]
    assert [e['iter'] for e in log if e['type'] == 'train'][-1] == 3
    assert [e for e in log if e['type'] == 'eval' and e['metric_name'] == 'COCO']
