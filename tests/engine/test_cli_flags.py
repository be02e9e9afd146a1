"""PaddleDetection 2.6's command lines parse here as its docs write them: every flag of its
tools/train.py, eval.py, infer.py and export_model.py is either supported or refused by name
with a reason, on one line; booleans take both `--flag=x` and `--flag x`."""
from __future__ import annotations

import pytest

from ppdet.cli.parser import UsageError
from ppdet.core.cli import override_items, run_tool

# The flags of PaddleDetection 2.6's tools (beside -c/--config and -o/--opt of its ArgsParser).
PADDLEDET_FLAGS = {
    'train': ['--eval', '-r', '--resume', '--slim_config', '--enable_ce', '--amp', '--fleet',
              '--use_vdl', '--vdl_log_dir', '--use_wandb', '--save_prediction_only',
              '--profiler_options', '--save_proposals', '--proposals_path', '--to_static'],
    'eval': ['--output_eval', '--json_eval', '--slim_config', '--bias', '--classwise',
             '--save_prediction_only', '--amp', '--rtn_im_file', '--slice_infer', '--slice_size',
             '--overlap_ratio', '--combine_method', '--match_threshold', '--match_metric'],
    'infer': ['--infer_dir', '--infer_img', '--output_dir', '--draw_threshold',
              '--save_threshold', '--slim_config', '--use_vdl', '--do_eval', '--vdl_log_dir',
              '--save_results', '--slice_infer', '--slice_size', '--overlap_ratio',
              '--combine_method', '--match_threshold', '--match_metric', '--visualize',
              '--rtn_im_file'],
    'export': ['--output_dir', '--export_serving_model', '--slim_config'],
}


def _parser(tool: str):
    if tool == 'export':
        from ppdet.cli.export_model import build_parser
    else:
        import importlib
        build_parser = importlib.import_module(f'ppdet.cli.{tool}').build_parser
    return build_parser()


@pytest.mark.parametrize('tool', sorted(PADDLEDET_FLAGS))
def test_every_paddledetection_flag_is_known(tool):
    known = set(_parser(tool)._option_string_actions)
    assert {'-c', '--config', '-o', '--opt'} <= known
    missing = [f for f in PADDLEDET_FLAGS[tool] if f not in known]
    assert not missing, f'{tool}: PaddleDetection flags neither supported nor refused: {missing}'


@pytest.mark.parametrize('argv, value', [
    (['--use_vdl'], True), (['--use_vdl=true'], True), (['--use_vdl', 'True'], True),
    (['--use_vdl=1'], True), (['--use_vdl', 'false'], False), (['--use_vdl=False'], False),
    (['--use_vdl', '0'], False), ([], None)])
def test_boolean_forms(argv, value):
    args = _parser('train').parse_args(['-c', 'x.yml'] + argv)
    assert args.use_vdl is value


def test_infer_boolean_flags_as_documented():
    args = _parser('infer').parse_args(['-c', 'x.yml', '--save_results=True',
                                        '--visualize=False', '--infer_img', 'a.jpg'])
    assert args.save_results is True and args.visualize is False
    assert _parser('infer').parse_args(['-c', 'x.yml']).visualize is True


def test_o_without_items_is_allowed():
    args = _parser('train').parse_args(['-c', 'x.yml', '-o'])
    assert override_items(args) == []
    args = _parser('eval').parse_args(['-c', 'x.yml', '-o', '-o', 'a=1', 'b=2'])
    assert override_items(args) == ['a=1', 'b=2']


def test_not_a_boolean_is_a_one_line_error():
    with pytest.raises(UsageError, match="'maybe' is not a boolean"):
        _parser('train').parse_args(['-c', 'x.yml', '--use_vdl=maybe'])


@pytest.mark.parametrize('tool, argv, reason', [
    ('train', ['--slim_config', 'configs/slim/prune.yml'], 'PaddleSlim'),
    ('train', ['--fleet'], 'paddle.distributed.launch'),
    ('train', ['--use_wandb=True'], 'Weights & Biases'),
    ('train', ['--to_static'], 'dynamic mode'),
    ('eval', ['--slice_infer'], 'sliced inference'),
    ('eval', ['--slice_size', '640', '640'], 'sliced inference'),
    ('infer', ['--do_eval=True'], 'tools/eval.py'),
    ('infer', ['--use_vdl', 'true'], 'VisualDL'),
    ('export', ['--export_serving_model', 'True'], 'Paddle Serving'),
])
def test_unsupported_flags_are_refused_by_name(tool, argv, reason):
    with pytest.raises(UsageError) as e:
        _parser(tool).parse_args(['-c', 'x.yml'] + argv)
    message = str(e.value)
    assert argv[0].split('=')[0] in message and 'not supported here' in message
    assert reason in message
    assert '\n' not in message


@pytest.mark.parametrize('tool, argv', [('export', ['--export_serving_model', 'False']),
                                        ('infer', ['--use_vdl=false', '--do_eval', '0']),
                                        ('train', ['--fleet=0'])])
def test_refused_booleans_set_false_ask_for_nothing(tool, argv):
    _parser(tool).parse_args(['-c', 'x.yml'] + argv)


def test_unknown_flag_is_one_line_on_stderr(capsys):
    from ppdet.cli.train import main
    assert run_tool(main, ['-c', 'x.yml', '--bogus_flag']) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith('error: tools/train.py: unrecognized arguments: --bogus_flag')
