"""gloo goes on the loopback interface exactly when every process is on loopback."""
from ppdet.engine.distributed import gloo_loopback_interface

LOOPBACK = 'lo'  # Linux's loopback interface


def test_all_endpoints_on_loopback_choose_the_loopback_interface():
    env = {'PADDLE_TRAINER_ENDPOINTS': '127.0.0.1:6070,127.0.0.1:6071',
           'PADDLE_MASTER': '127.0.0.1:41645'}
    assert gloo_loopback_interface(env) == LOOPBACK
    assert gloo_loopback_interface({'PADDLE_MASTER': 'localhost:5000'}) == LOOPBACK


def test_other_machines_or_the_users_choice_are_left_alone():
    assert gloo_loopback_interface({'PADDLE_TRAINER_ENDPOINTS':
                                    '127.0.0.1:6070,10.0.0.2:6070'}) is None
    assert gloo_loopback_interface({'PADDLE_MASTER': '10.0.0.1:8090'}) is None
    assert gloo_loopback_interface({'PADDLE_MASTER': '127.0.0.1:8090',
                                    'GLOO_SOCKET_IFNAME': 'eth1'}) is None
    assert gloo_loopback_interface({}) is None
