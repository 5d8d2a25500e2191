"""The `hnn` command: `hnn run` prints the walkthrough or its JSON trace; `hnn diagrams` draws every epoch;
`hnn sweep` executes the walkthrough notebook once per parameter set; `hnn worksheet` prints one epoch to fill in."""
from __future__ import annotations

import argparse
import dataclasses
import os
import re
import sys
import warnings
from pathlib import Path

from hnn.config import FIELDS, Config
from hnn.diagram import FORMATS, VIEWS, GraphvizMissing, write
from hnn.log import walkthrough
from hnn.training import train


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, with no usage block above them."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # argparse's own test for "a value, not an option", widened from -1 and -.5 to -1e-3, -inf and -nan, so that
        # `--w1 -1e-3` is a value and `--b -inf` reaches Config, which says what b accepts.
        self._negative_number_matcher = re.compile(r"-(\.?\d|inf|nan)", re.IGNORECASE)

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


def diagrams(args: argparse.Namespace) -> None:
    paths = write(train(config_from(args)), args.out, view=args.view, formats=tuple(args.format.split(",")))
    print(f"wrote {len(paths)} files to {os.path.join(args.out, '')}")


def sweep(args: argparse.Namespace) -> int:
    from hnn.sweep import sweep  # papermill takes a second or two to import; only `hnn sweep` needs it

    return sweep(args.param, args.params_file, args.out, notebook=args.notebook, force=args.force)


def worksheet(args: argparse.Namespace) -> int:
    from hnn import worksheet  # here, like sweep: the other commands need not import it

    config = config_from(args)
    epoch = worksheet.check_epoch(args.epoch, config.epochs)  # before training: a bad --epoch costs no time
    with warnings.catch_warnings():  # config_from has said any warning once
        warnings.simplefilter("ignore")
        config = dataclasses.replace(config, epochs=epoch)  # the epochs after the page's change nothing on it
    try:
        paths = worksheet.write(train(config), args.out, epoch)
    except OSError as error:  # the disk, not the user: nothing was renamed into place
        print(f"hnn worksheet: error: cannot write to {args.out}: {error.strerror or error}", file=sys.stderr)
        return 1
    print(f"wrote {', '.join(str(path) for path in paths)}")
    return 0


# `hnn exercises` and `hnn grade`: the exercises notebook for a class, and grading the class's copies of it.
def exercises(args: argparse.Namespace) -> int:
    from hnn import course  # nbgrader, which makes the copies, is needed by this command alone

    targets = [(path, student) for path, student in ((args.student, True), (args.solutions, False)) if path]
    if not targets:
        raise ValueError("give --student OUT.ipynb, --solutions OUT.ipynb or both")
    for path, _ in targets:
        course.check_target(path, args.force)
    try:
        copies = [(path, course.copy(student)) for path, student in targets]
    except course.NbgraderMissing as error:
        print(f"hnn exercises: error: {error}", file=sys.stderr)
        return 1
    for path, nb in copies:
        course.write(path, nb)
        print(f"wrote {path}")
    return 0


def grade(args: argparse.Namespace) -> int:
    from hnn.grade import grade_all, timeout  # nbclient starts kernels; only `hnn grade` needs it

    return grade_all(args.submission, args.out, timeout(args.timeout))


def add_course_commands(commands) -> None:
    exercises_parser = commands.add_parser(
        "exercises", help="write the exercises notebook's student copy or solutions copy",
        description="Write the exercises notebook's student copy (answers replaced by ..., hidden tests removed)"
        " or its solutions copy (the nbgrader source, for generate_assignment). Needs nbgrader: pip install 'hnn[course]'.",
    )
    exercises_parser.add_argument("--student", type=Path, metavar="OUT.ipynb", help="write the student copy here")
    exercises_parser.add_argument("--solutions", type=Path, metavar="OUT.ipynb", help="write the solutions copy here")
    exercises_parser.add_argument("--force", action="store_true", help="overwrite a file that exists")
    exercises_parser.set_defaults(handler=exercises, parser=exercises_parser)
    grade_parser = commands.add_parser(
        "grade", help="run each submitted exercises notebook in its own kernel and write grades.csv",
        description="Execute each submission in a kernel of its own, with a time limit, and judge the answers it"
        " leaves: one CSV row per submission and exercise (submission, exercise, status, feedback).",
    )
    grade_parser.add_argument("submission", nargs="+", type=Path, metavar="SUBMISSION",
                              help="a submitted notebook, or a folder of them")
    grade_parser.add_argument("--out", required=True, type=Path, metavar="FILE.csv", help="the grades to write")
    grade_parser.add_argument("--timeout", default="120", metavar="SECONDS",
                              help="how long one submission may run, all its cells together (default 120)")
    grade_parser.set_defaults(handler=grade, parser=grade_parser)


def parser() -> Parser:
    top = Parser(prog="hnn", description=__doc__)
    commands = top.add_subparsers(dest="command", required=True, parser_class=Parser)
    run_parser = commands.add_parser("run", help="train and print the walkthrough log", description="Train and print the walkthrough log.")
    add_hyperparameters(run_parser)
    run_parser.add_argument("--json", action="store_true", help="print the trace as JSON instead of the log")
    run_parser.set_defaults(handler=run, parser=run_parser)
    diagrams_parser = commands.add_parser(
        "diagrams", help="write diagrams ae0 … aeN, one per epoch and the trained network",
        description="Write ae{k}.gv and its renders for the network before each epoch and after the last.",
    )
    diagrams_parser.add_argument("--out", required=True, metavar="DIR", help="directory to write into (created if missing)")
    add_hyperparameters(diagrams_parser)
    diagrams_parser.add_argument("--view", default="network", help=f"one of {', '.join(VIEWS)} (default network)")
    diagrams_parser.add_argument("--format", default=",".join(FORMATS), help=f"comma-separated, from {','.join(FORMATS)} (default all)")
    diagrams_parser.set_defaults(handler=diagrams, parser=diagrams_parser)
    sweep_parser = commands.add_parser(
        "sweep", help="execute the walkthrough notebook once per parameter set, with a summary",
        description="Execute the walkthrough notebook with papermill once per parameter set, in parallel, into --out,"
        " then write summary.csv and summary.png there. Every set is checked before anything runs.",
    )
    sets = sweep_parser.add_mutually_exclusive_group(required=True)
    sets.add_argument(
        "--param", action="append", metavar="NAME=V1,V2,...",
        help="a notebook parameter and its values; repeat for more: one run per combination",
    )
    sets.add_argument(
        "--params-file", type=Path, metavar="FILE",
        help="YAML: a list of mappings (one run each) or a mapping of name to values (one run per combination)",
    )
    sweep_parser.add_argument("--out", required=True, type=Path, metavar="DIR", help="directory to write into (created if missing)")
    sweep_parser.add_argument("--notebook", type=Path, metavar="PATH", help="the notebook to run (default: the walkthrough)")
    sweep_parser.add_argument("--force", action="store_true", help="overwrite this sweep's files if they exist")
    sweep_parser.set_defaults(handler=sweep, parser=sweep_parser)
    worksheet_parser = commands.add_parser(
        "worksheet", help="write a printable worksheet for one epoch and its answer key",
        description="Write worksheet.pdf (epoch K's network with every value it computes left blank, and the formulas)"
        " and answers.pdf (the same page with the numbers) into --out: one landscape page, 279.4 x 210 mm, that"
        " prints on A4 and on Letter.",
    )
    worksheet_parser.add_argument("--out", required=True, metavar="DIR",
                                  help="directory to write into (created if missing)")
    add_hyperparameters(worksheet_parser)
    worksheet_parser.add_argument("--epoch", default="1", metavar="K", help="the epoch to fill in, from 1 (default 1)")
    worksheet_parser.set_defaults(handler=worksheet, parser=worksheet_parser)
    add_course_commands(commands)
    return top


def main(argv: list[str] | None = None) -> int:
    args, unrecognized = parser().parse_known_args(argv)
    if unrecognized:  # said by the command's own parser, whose usage lists what it accepts
        usage = " ".join(args.parser.format_usage().split()[1:])
        args.parser.error(f"unrecognized arguments: {' '.join(unrecognized)}; usage: {usage}")
    with warnings.catch_warnings():  # restores the warning machinery when done, for callers of main()
        warnings.simplefilter("always")
        warnings.showwarning = lambda message, *_: print(f"hnn: warning: {message}", file=sys.stderr)
        try:
            status = args.handler(args)
        except ValueError as error:  # a bad hyperparameter or option
            print(f"hnn {args.command}: error: {error}", file=sys.stderr)
            return 2
        except GraphvizMissing as error:  # the program is fine; the machine lacks Graphviz
            print(f"hnn {args.command}: error: {error}", file=sys.stderr)
            return 1
    return status or 0  # a sweep whose runs failed returns 1
