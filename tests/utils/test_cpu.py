"""MKL is pointed at its AVX2 kernels exactly on AMD processors that have them, before Paddle."""
import os
import sys

from ppdet.utils.cpu import mkl_cpu_type_for, tune_math_library
from tests.helpers.proc import run as run_child

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
AMD_AVX2 = 'vendor_id\t: AuthenticAMD\nflags\t\t: fpu sse sse2 avx fma avx2\n'
AMD_OLD = 'vendor_id\t: AuthenticAMD\nflags\t\t: fpu sse sse2 avx\n'
INTEL = 'vendor_id\t: GenuineIntel\nflags\t\t: fpu sse sse2 avx fma avx2 avx512f\n'


def test_only_amd_with_avx2_and_fma_gets_the_avx2_path():
    assert mkl_cpu_type_for(AMD_AVX2) == '5'
    assert mkl_cpu_type_for(AMD_OLD) is None
    assert mkl_cpu_type_for(INTEL) is None
    assert mkl_cpu_type_for('') is None


def test_a_users_setting_is_never_changed():
    env = {'MKL_DEBUG_CPU_TYPE': '3'}
    assert tune_math_library(env, AMD_AVX2) is None
    assert env == {'MKL_DEBUG_CPU_TYPE': '3'}
    env = {}
    assert 'MKL_DEBUG_CPU_TYPE=5' in tune_math_library(env, AMD_AVX2)
    assert env == {'MKL_DEBUG_CPU_TYPE': '5'}
    env = {}
    assert tune_math_library(env, INTEL) is None and env == {}


def test_the_tools_set_it_before_paddle_loads_mkl():
    """The line a tool prints first names the setting exactly when this machine needs it, and
    the variable is in the environment Paddle started with."""
    code = ('import os; from ppdet.utils.threads import use_cpu_threads; '
            'print(use_cpu_threads(1)); print(os.environ.get("MKL_DEBUG_CPU_TYPE"))')
    env = {k: v for k, v in os.environ.items() if k != 'MKL_DEBUG_CPU_TYPE'}
    out = run_child([sys.executable, '-c', code], cwd=ROOT, env=env, check=True,
                    timeout=300).stdout.splitlines()
    with open('/proc/cpuinfo') as f:
        expected = mkl_cpu_type_for(f.read())
    assert out[-1] == str(expected)
    assert ('MKL_DEBUG_CPU_TYPE' in out[-2]) == (expected is not None)
