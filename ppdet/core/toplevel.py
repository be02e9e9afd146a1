"""The top-level keys a config may hold besides class sections, with their types.

`ACTED_ON` keys are read by the engine or the loaders. `ACCEPTED_UNUSED` keys appear in
PaddleDetection 2.6 configs of the four families; they load without error and are reported as
unused, so that a team's config works unmodified and nobody believes a key did something.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Union

DATASET_SLOTS = ('TrainDataset', 'EvalDataset', 'TestDataset')

ACTED_ON: Dict[str, Any] = {
    'architecture': str,
    'num_classes': int,
    'pretrain_weights': Optional[str],
    'weights': Optional[str],
    'metric': str,
    'map_type': str,
    'epoch': int,
    'snapshot_epoch': int,
    'save_dir': str,
    'log_iter': int,
    'worker_num': int,
    'norm_type': str,
    'use_ema': bool,
    'ema_decay': float,
    'use_gpu': bool,
    'seed': int,
    'max_iters': Optional[int],
    'eval_interval': Optional[int],
    'clip_grad_norm': Optional[float],
    'finetune_exclude_pretrained_params': Optional[Union[List[str], str]],
    'fine_tune_checkpoint_type': str,
    'freeze_params': Optional[Union[List[str], str]],
    'class_aware_transfer': bool,
    'pretrain_class_names': Optional[List[str]],
    'load_policy': Optional[Dict[str, Any]],
    'export': Optional[Dict[str, Any]],
    'save_best_model': bool,
    'log_file': Optional[str],
}

ACCEPTED_UNUSED: Dict[str, str] = {
    'use_mlu': 'no MLU support; runs on CPU or GPU',
    'use_npu': 'no NPU support; runs on CPU or GPU',
    'use_xpu': 'no XPU support; runs on CPU or GPU',
    'print_flops': 'FLOPs printing is not implemented',
    'print_params': 'use tools/inspect_weights.py to list parameters',
    'find_unused_parameters': 'data-parallel training finds unused parameters itself',
    'use_fused_allreduce_gradients': 'not needed by the data-parallel trainer',
    'ema_decay_type': 'EMA uses a constant decay',
    'cycle_epoch': 'EMA cycles are not implemented',
    'ema_filter_no_grad': 'EMA skips frozen parameters always',
    'use_vdl': 'pass --use_vdl to tools/train.py instead',
    'vdl_log_dir': 'pass --vdl_log_dir to tools/train.py instead',
    'amp': 'pass --amp to tools/train.py instead',
    'fp16': 'pass --amp to tools/train.py instead',
    'log_ranks': 'only rank 0 logs',
}

ENUMS: Dict[str, tuple] = {
    'metric': ('COCO', 'VOC', 'WiderFace', 'KeyPointTopDownCOCOEval', None),
    'map_type': ('11point', 'integral'),
    'fine_tune_checkpoint_type': ('classification', 'detection', 'full'),
    'norm_type': ('bn', 'sync_bn', 'gn', 'affine_channel'),
}
