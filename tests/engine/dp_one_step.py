"""One training step's gradients, for tests/engine/test_distributed.py.

    python tests/engine/dp_one_step.py OUT.npz [ranks|split|global] [float32|float64]

Under `paddle.distributed.launch` (world size > 1) each process runs the step on its own share
of the global batch inside `paddle.DataParallel` and rank 0 writes the all-reduced gradients.
In one process, `split` runs the step once per rank's share (the same batches the ranks read)
and writes the mean of those gradients; `global` runs the whole global batch at once.
The model, data and reader come from the same builders the trainer uses.
"""
from __future__ import annotations

import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

CONFIG = os.path.join(ROOT, 'configs', 'yolov3', 'yolov3_mobilenet_v1_bccd.yml')
# 160 px, a quarter-width MobileNetV1, no Mixup; BatchNorm frozen because per-process batch
# statistics differ from those of one big batch by design, not by a fault of the split.
OPTIONS = ['pretrain_weights=', 'worker_num=0', 'seed=3', 'TrainDataset.sample_num=12',
           'TrainReader.mixup_epoch=-1', 'use_gpu=false',
           'TrainReader.batch_transforms.0.BatchRandomResize.target_size=[160]',
           'MobileNet.scale=0.25', "freeze_params=['*._mean']"]
GLOBAL_BATCH, WORLD = 4, 2


def _gradients(model, named, reader, dataset, rank: int, world: int, dtype: str):
    import paddle
    from ppdet.engine.batch import to_model_inputs
    reader.batch_size = GLOBAL_BATCH // world
    batch = next(iter(reader.batches(dataset, seed=3, epoch=0, rank=rank, world_size=world)))
    inputs = to_model_inputs(batch)
    for key, value in inputs.items():
        if isinstance(value, paddle.Tensor) and value.dtype == paddle.float32:
            inputs[key] = value.astype(dtype)
    inputs['epoch_id'] = 0
    model(inputs)['loss'].backward()
    grads = {name: p.grad.numpy().copy() for name, p in named if p.grad is not None}
    for _, p in named:
        p.clear_gradient()
    return grads


def main(out: str, how: str, dtype: str) -> None:
    import paddle
    from ppdet.checkpoint import apply_freeze
    from ppdet.core.workspace import load_config, merge_config
    from ppdet.engine.builders import build_data, build_model
    from ppdet.engine.distributed import init_distributed, select_device
    from ppdet.engine.seed import seed_everything
    select_device(False)
    paddle.set_default_dtype(dtype)
    cfg = merge_config(load_config(CONFIG), OPTIONS)
    dist = init_distributed()
    seed_everything(3)
    model = build_model(cfg)
    apply_freeze(model, cfg['freeze_params'])
    model.train()
    named = list(model.named_parameters())
    dataset, reader = build_data(cfg, 'train')
    if how == 'ranks':
        assert dist.world_size == WORLD, dist
        wrapped = paddle.DataParallel(model)
        grads = _gradients(wrapped, named, reader, dataset, dist.rank, WORLD, dtype)
        if not dist.is_main:
            return
    elif how == 'split':
        shares = [_gradients(model, named, reader, dataset, r, WORLD, dtype)
                  for r in range(WORLD)]
        grads = {k: (shares[0][k] + shares[1][k]) / np.asarray(WORLD, shares[0][k].dtype)
                 for k in shares[0]}
    else:
        grads = _gradients(model, named, reader, dataset, 0, 1, dtype)
    np.savez(out, **grads)


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else 'split',
         sys.argv[3] if len(sys.argv) > 3 else 'float32')
