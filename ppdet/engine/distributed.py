"""Data-parallel setup on PaddlePaddle's own launcher (GPUs, or CPU processes over gloo).

    python -m paddle.distributed.launch --nproc_per_node 2 tools/train.py -c cfg.yml

Each process reads its share of every global batch (see the reader's rank/world_size split)
and gradients are averaged by `paddle.DataParallel`, so N processes with per-process batch b
follow one process with batch N*b.

On the CPU the processes talk over gloo, which binds to the address this machine's hostname
resolves to. In containers that name often resolves to nothing (the group cannot form) or to
an address the sandbox filters (the processes wait on each other). When every process is on
this machine's loopback address (`--host 127.0.0.1`), gloo is put on the loopback interface
as well, unless GLOO_SOCKET_IFNAME says otherwise.
"""
from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from typing import MutableMapping, Optional

import paddle

from ppdet.core.errors import LaunchError

__all__ = ['DistInfo', 'init_distributed', 'select_device', 'gpu_unavailable_reason',
           'gloo_loopback_interface']

LOOPBACK_HOSTS = ('127.0.0.1', 'localhost')
LAUNCH_HINT = ('On one machine, start them on loopback (GLOO_SOCKET_IFNAME unset):\n'
               '  python -m paddle.distributed.launch --host 127.0.0.1 --nproc_per_node N '
               'tools/train.py -c CFG\n'
               'Across machines, each hostname must resolve to that machine\'s own address; on '
               'the CPU, GLOO_SOCKET_IFNAME may name the network interface that reaches the '
               'others.')


@dataclass(frozen=True)
class DistInfo:
    rank: int = 0
    world_size: int = 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def select_device(use_gpu: bool = True) -> str:
    """'gpu' when asked for and available (honouring the launcher's card), else 'cpu'."""
    if use_gpu and paddle.device.is_compiled_with_cuda() and \
            paddle.device.cuda.device_count() > 0:
        card = os.environ.get('FLAGS_selected_gpus', '0').split(',')[0]
        paddle.set_device(f'gpu:{card}')
        return f'gpu:{card}'
    paddle.set_device('cpu')
    return 'cpu'


def gpu_unavailable_reason() -> str:
    """Why `select_device(True)` chose the CPU, in words for a log line."""
    if not paddle.device.is_compiled_with_cuda():
        return f'this PaddlePaddle {paddle.__version__} is a CPU build'
    return 'no GPU is visible to PaddlePaddle'


def gloo_loopback_interface(env: MutableMapping[str, str]) -> Optional[str]:
    """The loopback interface gloo should use, when every process's endpoint is on loopback
    and the user has not chosen an interface; else None."""
    if env.get('GLOO_SOCKET_IFNAME'):
        return None
    endpoints = env.get('PADDLE_TRAINER_ENDPOINTS', '').split(',') + \
        [env.get('PADDLE_MASTER', '')]
    hosts = {ep.rsplit(':', 1)[0] for ep in endpoints if ep}
    if not hosts or not hosts <= set(LOOPBACK_HOSTS):
        return None
    names = [name for _, name in socket.if_nameindex() if name.startswith('lo')]
    return names[0] if names else None


def init_distributed() -> DistInfo:
    """Join the process group when launched with more than one process."""
    world = int(os.environ.get('PADDLE_TRAINERS_NUM', '1') or 1)
    if world <= 1:
        return DistInfo()
    import paddle.distributed as dist
    initialized = getattr(dist, 'is_initialized', lambda: False)()
    if not initialized:
        loopback = gloo_loopback_interface(os.environ)
        if loopback:
            os.environ['GLOO_SOCKET_IFNAME'] = loopback
        try:
            dist.init_parallel_env()
        except Exception as e:  # Paddle's own error, e.g. "network <host>: cannot be obtained"
            cause = ' '.join(str(e).split())[:400]
            raise LaunchError(f'the {world} training processes could not form a process group '
                              f'({cause}).\n{LAUNCH_HINT}') from None
    return DistInfo(rank=dist.get_rank(), world_size=dist.get_world_size())
