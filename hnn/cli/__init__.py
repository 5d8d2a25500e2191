"""The `hnn` command: `hnn run` prints the walkthrough or its JSON trace; `hnn diagrams` draws every epoch;
`hnn sweep` executes the walkthrough notebook once per parameter set; `hnn worksheet` prints one epoch to fill in;
`hnn notebooks` copies the notebooks out; `hnn classroom-links` prints the links that open them on Binder or a JupyterHub."""
from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import re
import shlex
import signal
import sys
import threading
import warnings
from importlib.metadata import version
from pathlib import Path

import hnn.programs  # noqa: F401  before anything imports jsonschema: see its docstring
from hnn.config import LIMIT, MAX_EPOCHS, MAX_LEARNING_RATE, Config
from hnn.graph import Network
from hnn.lessons import LESSONS, neuron
from hnn.ops import ACTIVATIONS, Op
from hnn.training import train
from hnn.views.diagram import MAX_DIAGRAMS, VIEWS, Display, check, write
from hnn.views.log import walkthrough_pieces
from hnn.views.render import FORMATS, RenderError


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, with no usage block above them."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # argparse's own test for "a value, not an option", widened from -1 and -.5 to -1e-3, -inf and -nan, so that
        # `--w1 -1e-3` is a value and `--b -inf` reaches Config, which says what b accepts.
        self._negative_number_matcher = re.compile(r"-(\.?\d|inf|nan)", re.IGNORECASE)

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def accepted(name: str, network=neuron) -> str:
    """What Config accepts for a setting of the network, from the limits it checks."""
    if name in network.kinds:
        return f"a number from -{LIMIT:g} to {LIMIT:g}"
    if name in network.options:
        return f"one of {', '.join(ACTIVATIONS)}" if isinstance(network.options[name], Op) else "true or false"
    return {
        "learning_rate": f"a number greater than 0 and at most {MAX_LEARNING_RATE:g}",
        "epochs": f"a whole number from 0 to {MAX_EPOCHS}",
    }[name]


def lesson_named(argv: list[str]) -> str:
    """The --lesson an argument list asks for, read before the real parser is built (its options are that lesson's);
    "neuron" for none, or for a name that is no lesson, which the real parser then refuses in one line."""
    early = argparse.ArgumentParser(add_help=False)
    early.add_argument("--lesson", default="neuron")
    name = early.parse_known_args(argv)[0].lesson
    return name if name in LESSONS else "neuron"


def add_hyperparameters(parser: argparse.ArgumentParser, network: Network = neuron) -> None:
    """--lesson, then --x1 … --activation, one for each setting of the lesson's network; values stay strings here so
    that Config is the one place that validates them."""
    parser.add_argument("--lesson", choices=LESSONS, default="neuron",
                        help=f"the network: {' or '.join(LESSONS)} (default neuron); the options below are its own")
    defaults = Config(network)
    lesson = next(name for name, net in LESSONS.items() if net is network)
    group = parser.add_argument_group(f"hyperparameters of --lesson {lesson} (defaults: the lesson notebook's)")
    for name in defaults.to_dict():
        group.add_argument(f"--{name.replace('_', '-')}", dest=name, metavar="VALUE",
                           help=f"{accepted(name, network)}; default {getattr(defaults, name)}")


def config_from(args: argparse.Namespace) -> Config:
    """The Config the options describe, for the --lesson's network; raises ValueError naming the first bad one."""
    network = LESSONS[args.lesson]
    names = Config(network).to_dict()
    return Config(network, **{name: getattr(args, name) for name in names if getattr(args, name, None) is not None})


def run(args: argparse.Namespace) -> int | None:
    trace = train(config_from(args))
    text = itertools.chain(trace.iter_json(), ["\n"]) if args.json else walkthrough_pieces(trace)
    try:
        for piece in text:  # as it goes: 100 000 epochs are hundreds of megabytes of text
            sys.stdout.write(piece)
        sys.stdout.flush()
    except OSError as error:
        _discard_stdout()  # else Python's own flush at exit fails again, with a traceback of its own
        if isinstance(error, BrokenPipeError):  # the reader stopped reading (`hnn run | head`): stop quietly, as
            return 128 + signal.SIGPIPE  # Unix tools do; the status is the one the shell reports for one killed by SIGPIPE
        raise OSError(error.errno, f"cannot write the output: {error.strerror}") from None


def _discard_stdout() -> None:
    """Point stdout at /dev/null, so that what is still buffered goes nowhere instead of failing at exit."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):  # not a real file, as under pytest's capture: nothing flushes it at exit
        pass


def diagrams(args: argparse.Namespace) -> None:
    config, formats = config_from(args), args.format.split(",")
    check(args.out, config.epochs, args.view, formats)  # before training, which takes half a minute at 100 000 epochs
    count = write(train(config), args.out, view=args.view, formats=formats)
    print(f"wrote {count} files to {os.path.join(args.out, '')}")


def sweep(args: argparse.Namespace) -> int:
    from hnn.classroom.sweep import sweep  # papermill takes a second or two to import; only `hnn sweep` needs it

    return sweep(
        args.param, args.params_file, args.out, notebook=args.notebook, force=args.force, resume=args.resume,
        allow_long=args.allow_long, jobs=args.jobs,
    )


def notebooks(args: argparse.Namespace) -> None:
    from hnn.classroom.links import copy_notebooks

    paths = copy_notebooks(args.dir, force=args.force)
    names = ", ".join(p.name for p in paths)
    print(f"copied {names} to {os.path.join(args.dir, '')}; open them with: jupyter lab {shlex.quote(args.dir)}")


def classroom_links(args: argparse.Namespace) -> None:
    from hnn.classroom.links import links

    print("\n".join(links(args.repo, args.branch, args.hub)))


def worksheet(args: argparse.Namespace) -> int:
    from hnn.views import worksheet  # here, like sweep: the other commands need not import it

    if args.roster is not None:
        return worksheets_for_a_class(args)
    if args.secret_file or args.keys:
        raise ValueError("--secret-file and --keys go with --roster: each student's own worksheet")
    config = config_from(args)
    epoch = worksheet.check_epoch(args.epoch, config.epochs)  # before training: a bad --epoch costs no time
    with warnings.catch_warnings():  # config_from has said any warning once
        warnings.simplefilter("ignore")
        config = config.replace(epochs=epoch)  # the epochs after the page's change nothing on it
    try:
        paths = worksheet.write(train(config), args.out, epoch)
    except OSError as error:  # the disk, not the user: nothing was renamed into place
        print(f"hnn worksheet: error: cannot write to {args.out}: {error.strerror or error}", file=sys.stderr)
        return 1
    print(f"wrote {', '.join(str(path) for path in paths)}")
    return 0


def worksheets_for_a_class(args: argparse.Namespace) -> int:
    """`hnn worksheet --roster`: each student's own network, epoch --epoch, one PDF each, and the keys apart."""
    from hnn.classroom import variants

    if args.lesson != "neuron":
        raise ValueError(f"--roster gives each student a neuron of their own: it cannot go with --lesson {args.lesson}")
    given = [f"--{name.replace('_', '-')}" for name in Config().to_dict() if getattr(args, name) is not None]
    if given:
        raise ValueError(f"{given[0]} cannot go with --roster, which gives each student a network of their own")
    if args.secret_file is None:
        raise ValueError("--roster needs --secret-file: the file of the secret each student's network is drawn with")
    count = variants.write_worksheets(args.roster, args.secret_file, args.out, args.keys, args.assignment, args.epoch,
                                      args.force)
    keys = f", and their answer pages to {os.path.join(args.keys, '')}" if args.keys else ""
    print(f"wrote {count} worksheets to {os.path.join(args.out, '')}{keys}")
    return 0


# What `hnn sweep` runs with, beside the hyperparameters: the walkthrough's display parameters.
DISPLAY = {  # what Display accepts: the first and the last epoch are always shown, so at least 2
    "view": f"one of {', '.join(VIEWS)}; default {Display().view}",
    "max_diagrams": f"how many epochs are shown in full, a whole number from 2 to {MAX_DIAGRAMS};"
                    f" default {Display().max_diagrams}",
}

EXAMPLES = {
    "run": """examples:
  hnn run                                   the original notebook's 10 epochs, as its log printed them
  hnn run --learning-rate 0.5 --epochs 30   other hyperparameters
  hnn run --json > trace.json               every number of every epoch, at full precision
  hnn run --lesson hidden-layer --epochs 1  Mazur's 2-2-2 network: one epoch of a hidden layer""",
    "diagrams": """examples:
  hnn diagrams --out diagrams                        ae0.gv ae0.svg ae0.png … ae10.png
  hnn diagrams --out graph --view graph --format svg the computation graph, SVG only
  hnn diagrams --out hidden --lesson hidden-layer    the hidden-layer lesson's ae0 … ae100""",
    "worksheet": """examples:
  hnn worksheet --out sheets                             epoch 1 of the original notebook's run
  hnn worksheet --out sheets --epoch 3 --learning-rate 0.5
  hnn worksheet --out hidden --lesson hidden-layer       epoch 1 of Mazur's 2-2-2 network
  hnn worksheet --roster roster.csv --secret-file course.secret --out sheets --keys keys""",
    "notebooks": """The walkthrough, the exercises and every other notebook installed with hnn, ready for JupyterLab;
each kernel starts in DIR and needs only hnn.

examples:
  hnn notebooks hnn-notebooks && jupyter lab hnn-notebooks
  hnn notebooks . --force                   put fresh copies over edited ones""",
    "classroom-links": """Binder builds binder/ (pinned versions, the CPU build of torch) and opens the walkthrough;
nobody installs anything. A JupyterHub with nbgitpuller (and hnn) installed clones the repository into each
student's home on the first click and merges updates on later clicks, keeping the student's changes.

examples:
  hnn classroom-links --repo https://github.com/you/hnn
  hnn classroom-links --repo https://github.com/you/hnn --hub https://hub.example.edu --branch spring""",
}


def sweep_epilog() -> str:
    """--help's text for `hnn sweep`: the parameters and what they accept, the YAML forms, the files, the statuses."""
    from hnn.classroom.strict_yaml import MAX_DEPTH, MAX_SIZE
    defaults = Config()
    names = {**{name: f"{accepted(name)}; default {value}" for name, value in defaults.to_dict().items()}, **DISPLAY}
    width = max(map(len, names)) + 2
    rows = "\n".join(f"  {name:<{width}}{text}" for name, text in names.items())
    return f"""parameters (the walkthrough's parameters cell; with --notebook, that notebook's):
{rows}

--params-file forms (YAML):
  a list of mappings, one run each:     - {{learning_rate: 0.1, epochs: 20}}
                                        - {{learning_rate: 0.5, activation: sigmoid}}
  a mapping of name to value(s), one run per combination:
                                        learning_rate: [0.01, 0.1, 1]
                                        epochs: 50
  read as YAML 1.2 (010 is 10; 1:30 and no are text), at most {MAX_SIZE} bytes and {MAX_DEPTH} levels deep,
  also with its aliases written out

files written into --out:
  learning_rate=0.1,epochs=20.ipynb   each run's executed notebook, named by its own parameters
  summary.csv                         one row per run: its notebook, parameters, status, and final loss, o, w1, w2, b
  summary.png                         every finished run's loss curve

exit status:
  0  every run finished
  1  at least one run failed (summary.csv says which; the others finished)
  2  bad input: nothing was run and nothing written

examples:
  hnn sweep --param learning_rate=0.01,0.1,1 --out lr
  hnn sweep --param learning_rate=0.1,0.5 --param activation=tanh,sigmoid --out grid --jobs 2
  hnn sweep --params-file variants.yml --out variants --force"""


OUT_HELP = "directory to write into (created if missing)"
# `hnn exercises` and `hnn grade`: the exercises notebook for a class, and grading the class's copies of it.
def exercises(args: argparse.Namespace) -> int:
    from hnn.classroom import course

    if args.roster is not None:
        return exercises_for_a_class(args)
    if args.secret_file or args.out or args.keys:
        raise ValueError("--secret-file, --out and --keys go with --roster: each student's own copy")
    targets = [(path, copy) for path, copy in ((args.student, course.student_copy), (args.solutions, course.key)) if path]
    if not targets:
        raise ValueError("give --student OUT.ipynb, --solutions OUT.ipynb or both, or --roster for a class")
    for path, _ in targets:
        course.check_target(path, args.force)
    for path, copy in targets:
        course.write(path, copy())
        print(f"wrote {path}")
    return 0


def exercises_for_a_class(args: argparse.Namespace) -> int:
    """`hnn exercises --roster`: each student's copy on a network of their own, and with --keys each one's key."""
    from hnn.classroom import variants

    if args.student or args.solutions:
        raise ValueError("--student and --solutions write the shared copy; with --roster, --out and --keys take their place")
    if args.secret_file is None or args.out is None:
        raise ValueError("--roster needs --secret-file (the secret each student's network is drawn with) and --out DIR")
    count = variants.write_exercises(args.roster, args.secret_file, args.out, args.keys, args.assignment, args.force)
    keys = f", and their keys to {os.path.join(args.keys, '')}" if args.keys else ""
    print(f"wrote {count} student copies to {os.path.join(args.out, '')}{keys}")
    return 0


def grade(args: argparse.Namespace) -> int:
    from hnn.classroom import jobs_limit
    from hnn.classroom.grade import NoSandbox, grade_class, timeout

    if args.roster is None or args.secret_file is None:
        raise ValueError("grading needs --roster ROSTER.csv and --secret-file FILE: each student's network comes from them")
    seconds, jobs = timeout(args.timeout), jobs_limit(args.jobs)
    try:
        return grade_class(args.roster, args.secret_file, args.submission, args.out, assignment=args.assignment, jobs=jobs,
                           seconds=seconds, feedback=args.feedback, lms=tuple(args.lms or ()), unsafe=args.unsafe)
    except NoSandbox as error:  # the machine, not the input
        print(f"hnn grade: error: {error}", file=sys.stderr)
        return 1


def add_class_options(parser: argparse.ArgumentParser, assignment: str) -> None:
    """--roster, --secret-file and --assignment: what each student's own network is drawn from."""
    parser.add_argument("--roster", type=Path, metavar="ROSTER.csv",
                        help="the class: a CSV file with a student_id column and, if you like, a name column")
    parser.add_argument("--secret-file", type=Path, metavar="FILE",
                        help="a file of at least 16 random bytes that only you keep; make one with: "
                             "python3 -c \"import secrets; print(secrets.token_hex(32))\" > FILE")
    parser.add_argument("--assignment", default=assignment, metavar="NAME",
                        help=f"what the networks are drawn for: the same name gives the same networks (default {assignment})")


EXERCISES_EPILOG = """examples:
  hnn exercises --student exercises.ipynb                the shared copy (notebooks/exercises.ipynb)
  hnn exercises --solutions key.ipynb                    its key, in nbgrader's solution regions
  hnn exercises --roster roster.csv --secret-file course.secret --out copies --keys keys
                                                         copies/<student_id>.ipynb, each on a network of its own"""

GRADE_EPILOG = """Each submission is matched to its student by its file name (<student_id>.ipynb) or the nearest folder
above it named by a student_id (nbgrader's submitted/<student_id>/<assignment>/). Its cells run in a bubblewrap
sandbox of their own: no network, none of your files but the Python that runs hnn, read-only, and limits on
time, memory, processes and output. The answers each answer cell leaves are judged here, against the network
the roster and the secret give that student, whatever the notebook's own numbers say.

files written:
  OUT.csv                 student_id, name, the points of each exercise, total, max, status, note
  OUT.canvas.csv          with --lms canvas: Canvas's gradebook import (students by SIS User ID)
  OUT.moodle.csv          with --lms moodle: Moodle's CSV grade import (map ID number to the users)
  feedback/<id>.html      each student's feedback, exercise by exercise (--feedback DIR elsewhere)

exit status:
  0  every submission ran to its end
  1  some did not (each has one line on stderr and its row says why), or no sandbox can be made here
  2  bad input: nothing was run and nothing written

examples:
  hnn grade --roster roster.csv --secret-file course.secret submitted/ --out grades.csv --lms canvas
  hnn grade --roster roster.csv --secret-file course.secret alice.ipynb bob.ipynb --out grades.csv --jobs 4"""


def add_course_commands(commands) -> None:
    exercises_parser = commands.add_parser(
        "exercises", help="write the exercises notebook: the shared copy and its key, or a copy for each student",
        description="Write the exercises notebook's student copy (answers replaced by ...) or its key (answers in"
        " nbgrader's solution regions, hidden tests in the checks), or, with --roster, a copy and a key for each"
        " student on a network of their own.",
        epilog=EXERCISES_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    exercises_parser.add_argument("--student", type=Path, metavar="OUT.ipynb", help="write the shared student copy here")
    exercises_parser.add_argument("--solutions", type=Path, metavar="OUT.ipynb", help="write the shared copy's key here")
    add_class_options(exercises_parser, "exercises")
    exercises_parser.add_argument("--out", type=Path, metavar="DIR", help="with --roster: the students' copies go here")
    exercises_parser.add_argument("--keys", type=Path, metavar="DIR", help="with --roster: their keys go here, apart")
    exercises_parser.add_argument("--force", action="store_true", help="overwrite files that exist")
    exercises_parser.set_defaults(handler=exercises, parser=exercises_parser)
    grade_parser = commands.add_parser(
        "grade", help="grade a class's exercises, each submission in a sandbox, into a gradebook CSV",
        description="Run each submitted exercises notebook in a sandbox of its own and judge the answers its answer"
        " cells leave against the student's own network: grades.csv, the LMS layouts and a feedback page per student.",
        epilog=GRADE_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    grade_parser.add_argument("submission", nargs="+", type=Path, metavar="SUBMISSION",
                              help="a submitted notebook, or a folder of them (searched below)")
    add_class_options(grade_parser, "exercises")
    grade_parser.add_argument("--out", required=True, type=Path, metavar="OUT.csv", help="the gradebook to write")
    grade_parser.add_argument("--lms", action="append", choices=("canvas", "moodle"),
                              help="also write that system's import layout beside --out; give it twice for both")
    grade_parser.add_argument("--feedback", type=Path, metavar="DIR",
                              help="the folder of feedback pages (default: feedback/ beside --out)")
    grade_parser.add_argument("--jobs", metavar="N",
                              help="at most N submissions at once, a whole number of at least 1 (default: one per core)")
    grade_parser.add_argument("--timeout", default="120", metavar="SECONDS",
                              help="how long one submission may run, all its cells together (default 120)")
    grade_parser.add_argument("--unsafe", action="store_true",
                              help="where no sandbox can be made: run each submission as a plain process with your rights")
    grade_parser.set_defaults(handler=grade, parser=grade_parser)


def parser(network: Network = neuron) -> Parser:
    """The `hnn` command's parser, with the hyperparameter options of this lesson's network."""
    top = Parser(prog="hnn", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
                 epilog="Each command's --help says what it accepts, with examples.")
    top.add_argument("--version", action="version", version=f"hnn {version('hnn')}")
    commands = top.add_subparsers(dest="command", required=True, parser_class=Parser)

    def command(name: str, summary: str, description: str, epilog: str) -> Parser:
        sub = commands.add_parser(name, help=summary, description=description, epilog=epilog,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
        sub.set_defaults(parser=sub)
        return sub

    run_parser = command("run", "train and print the walkthrough log", "Train and print the walkthrough log.", EXAMPLES["run"])
    add_hyperparameters(run_parser, network)
    run_parser.add_argument("--json", action="store_true", help="print the trace as JSON instead of the log")
    run_parser.set_defaults(handler=run)
    diagrams_parser = command(
        "diagrams", "write diagrams ae0 … aeN, one per epoch and the trained network",
        "Write ae{k}.gv and its renders for the network before each epoch and after the last.", EXAMPLES["diagrams"],
    )
    diagrams_parser.add_argument("--out", required=True, metavar="DIR", help=OUT_HELP)
    add_hyperparameters(diagrams_parser, network)
    diagrams_parser.add_argument("--view", default="network", help=f"one of {', '.join(VIEWS)} (default network)")
    diagrams_parser.add_argument("--format", default=",".join(FORMATS),
                                 help=f"comma-separated, from {','.join(FORMATS)} (default all)")
    diagrams_parser.set_defaults(handler=diagrams)
    sweep_parser = command(
        "sweep", "execute the walkthrough notebook once per parameter set, with a summary",
        "Execute the walkthrough notebook with papermill once per parameter set, in parallel, into --out,\n"
        "then write summary.csv and summary.png there. Every set is checked before anything runs.",
        sweep_epilog(),
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
    sweep_parser.add_argument("--out", required=True, metavar="DIR", help=OUT_HELP)
    sweep_parser.add_argument("--notebook", type=Path, metavar="PATH",
                              help="the notebook to run (default: the walkthrough installed with hnn)")
    sweep_parser.add_argument("--jobs", metavar="N",
                              help="at most N runs at once, a whole number of at least 1 (default: one per core)")
    again = sweep_parser.add_mutually_exclusive_group()
    again.add_argument("--force", action="store_true", help="overwrite this sweep's files if they exist")
    again.add_argument(
        "--resume", action="store_true",
        help="keep the runs whose notebooks in --out are complete (executed to the end, same parameters); run the rest",
    )
    sweep_parser.add_argument(
        "--allow-long", action="store_true", help="start a sweep of more than 50 runs or 1,000,000 epochs in all",
    )
    sweep_parser.set_defaults(handler=sweep)
    worksheet_parser = command(
        "worksheet", "write a printable worksheet for one epoch and its answer key",
        "Write worksheet.pdf (epoch K's network, then its steps in order, each formula with a blank 46 mm\n"
        "wide for every number to work out) and answers.pdf (the same pages with the numbers) into --out:\n"
        "pages of 210 x 279.4 mm, portrait or landscape, that print on A4 and on Letter; one page for a\n"
        "neuron, four for a hidden layer (the diagram, the forward pass, the chain rule, the update).",
        EXAMPLES["worksheet"],
    )
    worksheet_parser.add_argument("--out", required=True, metavar="DIR", help=OUT_HELP)
    add_hyperparameters(worksheet_parser, network)
    worksheet_parser.add_argument("--epoch", default="1", metavar="K", help="the epoch to fill in, from 1 (default 1)")
    group = worksheet_parser.add_argument_group(
        "a class (DIR/<student_id>.pdf for each student on the roster, on a network of their own)")
    add_class_options(group, "worksheet")
    group.add_argument("--keys", metavar="DIR", help="with --roster: the answer pages go here, apart from --out")
    group.add_argument("--force", action="store_true", help="with --roster: overwrite files that exist")
    worksheet_parser.set_defaults(handler=worksheet)
    notebooks_parser = command("notebooks", "copy the notebooks installed with hnn into a folder",
                               "Copy the notebooks installed with hnn into DIR (created if missing).", EXAMPLES["notebooks"])
    notebooks_parser.add_argument("dir", metavar="DIR", help="the folder to copy them into")
    notebooks_parser.add_argument("--force", action="store_true", help="overwrite hnn's notebooks in DIR if they exist")
    notebooks_parser.set_defaults(handler=notebooks)
    links_parser = command("classroom-links", "print the links that open the walkthrough on Binder or a JupyterHub",
                           "Print the Binder link of a repository holding hnn and, with --hub, its nbgitpuller link.",
                           EXAMPLES["classroom-links"])
    links_parser.add_argument("--repo", required=True, metavar="URL",
                              help="the http(s) URL of the git repository, e.g. your fork")
    links_parser.add_argument("--hub", metavar="URL", help="the http(s) URL of a JupyterHub that has nbgitpuller")
    links_parser.add_argument("--branch", default="main", metavar="B", help="the branch to open (default main)")
    links_parser.set_defaults(handler=classroom_links)
    worksheet_parser.set_defaults(handler=worksheet, parser=worksheet_parser)
    add_course_commands(commands)
    return top


class Stopped(BaseException):
    """A signal that stops the command, raised where it runs, as Ctrl-C's KeyboardInterrupt is: what is under way then
    cleans up on its way out (a half-written set of diagrams is removed, the processes drawing them are killed)."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


STOPPING = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def _stopped_once():
    """Ctrl-C (SIGINT) or SIGTERM stops the command once, while the block runs: the first raises KeyboardInterrupt or
    Stopped where the command is, and any signal after it is ignored, so that neither the cleanup on the way out nor the
    line that says so is cut short (GNU timeout sends SIGTERM to the command and again to its process group). The
    handlers before are put back after."""
    if threading.current_thread() is not threading.main_thread():  # only the main thread may set a handler
        yield
        return

    def stop(received, frame):
        for signum in STOPPING:
            signal.signal(signum, signal.SIG_IGN)
        raise KeyboardInterrupt if received == signal.SIGINT else Stopped(received)

    previous = {signum: signal.signal(signum, stop) for signum in STOPPING}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    lesson = lesson_named(argv)
    args, unrecognized = parser(LESSONS[lesson]).parse_known_args(argv)
    if unrecognized:  # said by the command's own parser, whose usage lists what it accepts
        usage = " ".join(args.parser.format_usage().split()[1:])
        elsewhere = [name for name, net in LESSONS.items() if name != lesson and unrecognized[0].startswith("--")
                     and unrecognized[0][2:].split("=")[0].replace("-", "_") in Config(net).to_dict()]
        where = f" (an option of --lesson {elsewhere[0]})" if elsewhere and hasattr(args, "lesson") else ""
        args.parser.error(f"unrecognized arguments: {' '.join(unrecognized)}{where}; usage: {usage}")
    with warnings.catch_warnings(), _stopped_once():  # both put back when done, for callers of main()
        warnings.simplefilter("always")
        warnings.showwarning = lambda message, *_: print(f"hnn: warning: {message}", file=sys.stderr)
        try:
            status = args.handler(args)
        except (KeyboardInterrupt, Stopped) as stop:  # Ctrl-C or SIGTERM, once what was under way has cleaned up
            signum = getattr(stop, "signum", signal.SIGINT)  # sweep handles both itself, and writes its summary first
            print(f"hnn {args.command}: stopped by {signal.Signals(signum).name}", file=sys.stderr)
            return 128 + signum
        except ValueError as error:  # a bad hyperparameter or option
            print(f"hnn {args.command}: error: {error}", file=sys.stderr)
            return 2
        except RenderError as error:  # the input is fine; the machine's Graphviz is missing, fails or hangs
            print(f"hnn {args.command}: error: {error}", file=sys.stderr)
            return 1
        except OSError as error:  # a machine fault: a full disk, an I/O error, a folder that vanished
            where = f": {error.filename}" if error.filename else ""
            print(f"hnn {args.command}: error: {error.strerror or error}{where}", file=sys.stderr)
            return 1
    return status or 0  # a sweep whose runs failed returns 1
