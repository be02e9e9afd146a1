"""`tools/train.py --dry-run` fails where training would and writes nothing; resuming with
another class order is refused (dry or not), and the remedies it names work."""
import pytest

from ppdet.core.cli import run_tool
from ppdet.cli.train import main as train_main
from tests.checkpoint._models import (BCCD_NAMES, ROOT, TINY_RUN, YOLO_BCCD,
                                      save_tiny_yolo_checkpoint)


@pytest.fixture
def at_root(monkeypatch):
    monkeypatch.chdir(ROOT)  # the configs name dataset/bccd relative to the project root


def _train(args, extra_opts=()):
    return run_tool(train_main, ['-c', YOLO_BCCD] + args + ['-o'] + TINY_RUN + list(extra_opts))


def test_dry_run_refuses_a_missing_resume_checkpoint_and_writes_nothing(tmp_path, capsys,
                                                                         at_root):
    out = tmp_path / 'run'
    missing = str(tmp_path / 'nonexistent')
    assert _train(['--dry-run', '-r', missing, '--output_dir', str(out)]) == 2
    dry_err = capsys.readouterr().err
    assert f'error: {missing}: no checkpoint at {missing}.pdparams' in dry_err
    assert not out.exists()
    assert _train(['-r', missing, '--output_dir', str(out)]) == 2  # the real run: the same
    assert capsys.readouterr().err == dry_err


def test_dry_run_plans_the_pretrained_load_and_writes_nothing(tmp_path, capsys, at_root):
    prefix = save_tiny_yolo_checkpoint(tmp_path / 'w', BCCD_NAMES)
    out = tmp_path / 'run'
    assert _train(['--dry-run', '--output_dir', str(out)],
                  [f'pretrain_weights={prefix}.pdparams']) == 0
    text = capsys.readouterr().out
    assert '(plan only, nothing written)' in text
    assert 'nothing was trained or written' in text
    assert not out.exists()


def test_resume_with_a_reversed_label_list_is_refused(tmp_path, capsys, at_root):
    prefix = save_tiny_yolo_checkpoint(tmp_path / 'ckpt' / 'epoch_1', BCCD_NAMES)
    reversed_list = tmp_path / 'reversed.txt'
    reversed_list.write_text('Platelets\nWBC\nRBC\n')
    swapped = [f'TrainDataset.label_list={reversed_list}']
    out = tmp_path / 'run'
    for dry in (['--dry-run'], []):
        assert _train(dry + ['-r', prefix, '--output_dir', str(out)], swapped) == 2
        err = capsys.readouterr().err
        assert 'cannot resume' in err and 'another order' in err
        assert '3 classes [RBC, WBC, Platelets]' in err
        assert '3 classes [Platelets, WBC, RBC]' in err
    assert not out.exists() or not any(out.iterdir())  # nothing trained, nothing written
    # remedy 1: the label list the run was trained with
    assert _train(['--dry-run', '-r', prefix, '--output_dir', str(out)]) == 0
    assert f'would resume from {prefix}: epoch 1, iteration 2' in capsys.readouterr().out
    # remedy 2: a new run from these weights; the head is copied by class name
    assert _train(['--dry-run', '--output_dir', str(out)],
                  swapped + [f'pretrain_weights={prefix}.pdparams']) == 0
    assert 'Platelets<-2, WBC<-1, RBC<-0' in capsys.readouterr().out
