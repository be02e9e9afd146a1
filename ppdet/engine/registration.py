"""What the engine contributes to the config: the learning-rate and optimizer classes, the
top-level keys the trainer, evaluator and exporter act on, and the PaddleDetection keys it
accepts without acting on them (reported as unused when a config sets them). Found by
`ppdet.core.registry.ensure_components_loaded`."""
from typing import Any, Dict, Optional

from ppdet.core.toplevel import register_toplevel_keys, register_unused_keys
from ppdet.engine import optim  # noqa: F401  (registers LearningRate, OptimizerBuilder, ...)

register_toplevel_keys(__name__, {
    'weights': Optional[str],
    'metric': str,
    'map_type': str,
    'epoch': int,
    'snapshot_epoch': int,
    'save_dir': str,
    'log_iter': int,
    'worker_num': int,
    'use_ema': bool,
    'ema_decay': float,
    'use_gpu': bool,
    'seed': int,
    'max_iters': Optional[int],
    'eval_interval': Optional[int],
    'clip_grad_norm': Optional[float],
    'export': Optional[Dict[str, Any]],
    'save_best_model': bool,
    'log_file': Optional[str],
}, choices={
    'metric': ('COCO', 'VOC', 'WiderFace', 'KeyPointTopDownCOCOEval', None),
    'map_type': ('11point', 'integral'),
})

register_unused_keys(__name__, {
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
})
