"""The two runtimes behind one interface: `infer(feeds)` runs the model, `finish(raw)` turns
its outputs into (bbox [N, 6], bbox_num [B]) — identity for Paddle (NMS is in the program),
the numpy NMS for ONNX (the graph ends before it).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ppdet.deploy.errors import DeployError, import_optional
from ppdet.deploy.infer_config import NmsParams
from ppdet.deploy.nms import multiclass_nms
from ppdet.deploy.onednn import onednn_blockers

__all__ = ['RuntimeOptions', 'PaddleInferenceBackend', 'OnnxRuntimeBackend', 'DEVICES']

DEVICES = ('CPU', 'GPU')
Outputs = Tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class RuntimeOptions:
    """device: CPU or GPU; enable_mkldnn None = on wherever it is known to be safe."""
    device: str = 'CPU'
    cpu_threads: int = 1
    enable_mkldnn: Optional[bool] = None

    def __post_init__(self) -> None:
        if self.device not in DEVICES:
            raise DeployError(f'--device {self.device}: choose CPU or GPU')
        if int(self.cpu_threads) < 1:
            raise DeployError(f'--cpu_threads {self.cpu_threads}: give 1 or more')


def _feed_names(names: Sequence[str], feeds: Dict[str, np.ndarray], what: str) -> None:
    missing = [n for n in names if n not in feeds]
    if missing:
        raise DeployError(f'{what} needs inputs {", ".join(missing)}, which the preprocessing '
                          f'does not give (it gives {", ".join(sorted(feeds))})')


class PaddleInferenceBackend:
    """`paddle.inference` predictor for model.json/.pdmodel + model.pdiparams."""
    name = 'Paddle Inference'

    def __init__(self, program: str, params: str, options: RuntimeOptions,
                 log: Callable[[str], Any] = print) -> None:
        import paddle
        import paddle.inference as pi
        config = pi.Config(program, params)
        self.device = self._select_device(config, options, paddle, log)
        self.onednn = False
        if self.device == 'CPU':
            config.set_cpu_math_library_num_threads(int(options.cpu_threads))
            self.onednn = self._select_onednn(config, program, options.enable_mkldnn, log)
        config.disable_glog_info()
        self.predictor = pi.create_predictor(config)
        self.inputs = list(self.predictor.get_input_names())
        self.outputs = list(self.predictor.get_output_names())
        if len(self.outputs) != 2:
            raise DeployError(f'{program} has {len(self.outputs)} outputs; a detector exported '
                              f'by tools/export_model.py has 2 (bbox, bbox_num)')

    @staticmethod
    def _select_device(config, options: RuntimeOptions, paddle, log) -> str:
        if options.device == 'GPU':
            if paddle.device.is_compiled_with_cuda() and paddle.device.cuda.device_count() > 0:
                config.enable_use_gpu(200, 0)
                return 'GPU'
            log('note: --device GPU, but this Paddle build has no usable GPU; running on CPU')
        config.disable_gpu()
        return 'CPU'

    @staticmethod
    def _select_onednn(config, program: str, wanted: Optional[bool], log) -> bool:
        if wanted is False:
            config.disable_mkldnn()
            return False
        blockers = onednn_blockers(program)
        if blockers:
            if wanted:
                log(f'note: oneDNN stays off for this model: it holds {"; ".join(blockers)} '
                    f'(see ppdet/deploy/onednn.py)')
            config.disable_mkldnn()
            return False
        config.enable_mkldnn()
        return True

    def describe(self) -> str:
        return f'{self.name} on {self.device}' + (' with oneDNN' if self.onednn else '')

    def infer(self, feeds: Dict[str, np.ndarray]) -> List[np.ndarray]:
        _feed_names(self.inputs, feeds, 'the Paddle program')
        for n in self.inputs:
            self.predictor.get_input_handle(n).copy_from_cpu(feeds[n])
        self.predictor.run()
        return [self.predictor.get_output_handle(n).copy_to_cpu() for n in self.outputs]

    def finish(self, raw: List[np.ndarray]) -> Outputs:
        return raw[0], raw[1]


class OnnxRuntimeBackend:
    """ONNX Runtime session for model.onnx (outputs boxes, scores) + the numpy NMS."""
    name = 'ONNX Runtime'

    def __init__(self, path: str, nms: NmsParams, options: RuntimeOptions,
                 log: Callable[[str], Any] = print) -> None:
        ort = import_optional('onnxruntime')
        so = ort.SessionOptions()
        so.log_severity_level = 3  # errors only: its initializer-cleanup warnings are noise
        so.intra_op_num_threads = int(options.cpu_threads)
        so.inter_op_num_threads = 1
        providers = ['CPUExecutionProvider']
        self.device = 'CPU'
        if options.device == 'GPU':
            if 'CUDAExecutionProvider' in ort.get_available_providers():
                providers.insert(0, 'CUDAExecutionProvider')
                self.device = 'GPU'
            else:
                log('note: --device GPU, but this onnxruntime has no CUDA provider '
                    '(pip install onnxruntime-gpu); running on CPU')
        try:
            self.session = ort.InferenceSession(path, so, providers=providers)
        except Exception as e:  # onnxruntime raises its own exception types
            raise DeployError(f'ONNX Runtime cannot load {path}: {e}') from None
        self.nms = nms
        self.inputs = [i.name for i in self.session.get_inputs()]
        if len(self.session.get_outputs()) != 2:
            raise DeployError(f'{path} has {len(self.session.get_outputs())} outputs; '
                              f'tools/export_model.py --onnx writes 2 (boxes, scores)')

    def describe(self) -> str:
        return f'{self.name} on {self.device} (+ NMS in numpy)'

    def infer(self, feeds: Dict[str, np.ndarray]) -> List[np.ndarray]:
        _feed_names(self.inputs, feeds, 'the ONNX model')
        return self.session.run(None, {n: feeds[n] for n in self.inputs})

    def finish(self, raw: List[np.ndarray]) -> Outputs:
        return multiclass_nms(raw[0], raw[1], self.nms)
