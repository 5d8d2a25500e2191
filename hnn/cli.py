"""The `hnn` command: `hnn run` prints the walkthrough or its JSON trace."""
from __future__ import annotations

import argparse
import sys
import warnings

from hnn.config import FIELDS, Config
from hnn.train import train
from hnn.walkthrough import walkthrough


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, with no usage block above them."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def add_hyperparameters(parser: argparse.ArgumentParser) -> None:
    """--x1 … --activation; values stay strings here so that Config is the one place that validates them."""
    defaults = Config()
    group = parser.add_argument_group("hyperparameters (defaults: the original notebook's)")
    for name in FIELDS:
        group.add_argument(f"--{name.replace('_', '-')}", dest=name, metavar="VALUE", help=f"default {getattr(defaults, name)}")


def config_from(args: argparse.Namespace) -> Config:
    """The Config the options describe; raises ValueError naming the first bad one."""
    return Config(**{name: getattr(args, name) for name in FIELDS if getattr(args, name) is not None})


def run(args: argparse.Namespace) -> None:
    trace = train(config_from(args))
    sys.stdout.write(trace.to_json() + "\n" if args.json else walkthrough(trace))


def parser() -> Parser:
    top = Parser(prog="hnn", description=__doc__)
    commands = top.add_subparsers(dest="command", required=True, parser_class=Parser)
    run_parser = commands.add_parser("run", help="train and print the walkthrough log", description="Train and print the walkthrough log.")
    add_hyperparameters(run_parser)
    run_parser.add_argument("--json", action="store_true", help="print the trace as JSON instead of the log")
    run_parser.set_defaults(handler=run)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    with warnings.catch_warnings():  # restores the warning machinery when done, for callers of main()
        warnings.simplefilter("always")
        warnings.showwarning = lambda message, *_: print(f"hnn: warning: {message}", file=sys.stderr)
        try:
            args.handler(args)
        except ValueError as error:  # a bad hyperparameter
            print(f"hnn {args.command}: error: {error}", file=sys.stderr)
            return 2
    return 0
