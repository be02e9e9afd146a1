"""Command lines in PaddleDetection's forms: `-c cfg.yml -o k=v ...` (or `-o` with nothing),
booleans as `--flag`, `--flag=true` or `--flag false` (true/false/True/False/1/0), and each of
its flags that we do not implement refused by name, with the reason, on one line.

`-c/-o` themselves are the config system's (`ppdet.core.cli.add_config_args`).
Every parsing problem is a `UsageError`: `run_tool` prints it as one `error:` line, exit 2.
"""
from __future__ import annotations

import argparse
from typing import Any, NoReturn, Optional, Sequence

from ppdet.core.errors import PPDetError

__all__ = ['UsageError', 'ToolParser', 'parse_bool', 'add_bool_flag', 'refuse_flag',
           'refuse_bool_flag']

_TRUE = ('true', '1')
_FALSE = ('false', '0')


class UsageError(PPDetError):
    """A command line the tool cannot run; the message says which flag and what to do."""


class ToolParser(argparse.ArgumentParser):
    """argparse with one-line errors (`UsageError`) instead of usage text and exit."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f'{self.prog}: {message} (see {self.prog} --help)')


def parse_bool(text: str) -> bool:
    """`true/false/True/False/1/0` (any case), as PaddleDetection's docs write them."""
    value = str(text).strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise argparse.ArgumentTypeError(f'{text!r} is not a boolean: give true or false (or 1/0)')


def add_bool_flag(parser: argparse.ArgumentParser, name: str, help: str,
                  default: bool = False) -> None:
    """`--name` alone means true; `--name=x` and `--name x` take x as `parse_bool` reads it."""
    parser.add_argument(name, nargs='?', const=True, default=default, type=parse_bool,
                        metavar='true|false', help=help)


class _Refused(argparse.Action):
    """A PaddleDetection flag we do not implement: an error naming it and why, when used
    (for a boolean flag: when it is set to true; false asks for nothing)."""

    def __init__(self, option_strings: Sequence[str], dest: str, reason: str = '',
                 boolean: bool = False, **kwargs: Any) -> None:
        kwargs['nargs'] = '?' if boolean else '*'
        if boolean:
            kwargs.update(const=True, type=parse_bool)
        super().__init__(option_strings, dest, default=None, **kwargs)
        self.reason = reason
        self.boolean = boolean

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: Optional[str] = None) -> None:
        if self.boolean and values is False:
            return
        raise UsageError(f'{option_string} (a PaddleDetection flag) is not supported here: '
                         f'{self.reason}')


def refuse_flag(parser: argparse.ArgumentParser, name: str, reason: str) -> None:
    """`name` with any values is refused with `reason`."""
    parser.add_argument(name, action=_Refused, reason=reason,
                        help=f'not supported here: {reason}')


def refuse_bool_flag(parser: argparse.ArgumentParser, name: str, reason: str) -> None:
    """`name` / `name=true` is refused with `reason`; `name=false` is accepted (a no-op)."""
    parser.add_argument(name, action=_Refused, reason=reason, boolean=True,
                        metavar='true|false', help=f'only false is supported: {reason}')

