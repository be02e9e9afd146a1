"""A labelme folder with polygons, converted by tools/x2coco.py, trains a Mask R-CNN from the
command line with no edit to the converted files; the evaluation prints box and mask AP.

The shipped config `configs/mask_rcnn/mask_rcnn_r50_fpn_1x_bccd_seg.yml` is used as a user
would, narrowed by `-o` to run in seconds: no pretrained weights (no internet here), ResNet-18
instead of 50 (FPN and heads learn their channels from the backbone) with trainable
BatchNorm (frozen norms that were never trained would normalise nothing), 224-320 px, three
iterations. The figures of three iterations from scratch are near zero; what is checked is that
the pipeline carries polygons from labelme to pycocotools' segm evaluation.
"""
import json
import os
import sys

from tests.helpers.proc import run as run_child

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIG = 'configs/mask_rcnn/mask_rcnn_r50_fpn_1x_bccd_seg.yml'


def _run(*args):
    return run_child([sys.executable, *args], cwd=ROOT,
                     timeout=600, env=dict(os.environ, OMP_NUM_THREADS='1'))


def test_labelme_polygons_to_mask_rcnn_box_and_mask_ap(tmp_path):
    coco = tmp_path / 'bccd_seg_coco'
    proc = _run('tools/x2coco.py', '--dataset_type', 'labelme',
                '--json_input_dir', 'dataset/bccd_seg/labelme', '--output_dir', str(coco),
                '--train_proportion', '0.8', '--val_proportion', '0.2',
                '--label_list', 'dataset/bccd_seg/label_list.txt')
    assert proc.returncode == 0, proc.stdout + proc.stderr
    train = json.loads((coco / 'annotations' / 'instance_train.json').read_text())
    assert len(train['images']) == 8
    assert all(len(a['segmentation'][0]) >= 6 for a in train['annotations'])

    run = tmp_path / 'run'
    proc = _run('tools/train.py', '-c', CONFIG, '--eval', '--output_dir', str(run),
                '-o', 'pretrain_weights=', 'ResNet.depth=18', 'ResNet.freeze_norm=false',
                'ResNet.freeze_at=-1', 'epoch=1', 'max_iters=3',
                f'TrainDataset.dataset_dir={coco}', 'TrainDataset.image_dir=train',
                f'EvalDataset.dataset_dir={coco}', 'EvalDataset.image_dir=val',
                'TrainReader.sample_transforms.1.RandomResize.target_size=[[224, 320]]',
                'EvalReader.sample_transforms.1.Resize.target_size=[224, 320]')
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    log = [json.loads(line) for line in open(run / 'metrics.jsonl')]
    assert [e['iter'] for e in log if e['type'] == 'train'][-1] == 3
    evals = [e for e in log if e['type'] == 'eval']
    assert evals and {'bbox', 'segm'} <= set(evals[-1]['result']), evals
    assert 'segm' in out and 'bbox' in out
