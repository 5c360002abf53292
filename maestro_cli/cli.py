# Copyright: maestro.ng contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MaestroNG's command line on the maestro.ng collection's engine.

    maestro [-f FILE] [--via-ansible] [COMMAND] [OPTIONS] [THING ...] [-- ANSIBLE-PLAYBOOK OPTIONS]

COMMAND is one of status (the default), start, stop, kill, restart, clean, pull, logs,
deptree. FILE defaults to ./maestro.yaml; `-f -` reads the environment from standard
input. The command runs the engine in its own process (engine.py); words after `--` go to
ansible-playbook as they are (`-- --check --diff`), so they, and `--via-ansible`, run the
collection's playbook instead.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from maestro_cli import __version__, engine

# MaestroNG's command words (command_specs.BY_WORD has no status, logs or deptree; maestro has no remove).
COMMAND_WORDS = ("status", "start", "stop", "kill", "restart", "clean", "pull", "logs", "deptree")
PLAYBOOKS = {"deptree": "deps"}  # command -> playbook name, when they differ
DEFAULT_FILE = "maestro.yaml"


class UsageError(Exception):
    """Arguments MaestroNG would accept but this command cannot honour."""


class Invocation:
    """What to run: ``argv`` (ansible-playbook's), ``environ`` (variables to set),
    ``notes`` (lines for stderr before running) and ``env_file`` (None for stdin)."""

    def __init__(self, argv, environ, notes, env_file):
        self.argv, self.environ, self.notes, self.env_file = argv, environ, notes, env_file

    def __repr__(self):
        return "Invocation(%r, %r)" % (self.argv, self.environ)


# --------------------------------------------------------------------------- parsing
def _parser():
    parser = argparse.ArgumentParser(
        prog="maestro",
        description="MaestroNG's command line, run by the maestro.ng Ansible collection's engine in this process.",
        epilog="Words after -- are passed to ansible-playbook (e.g. -- --check --diff): with them, or with "
        "--via-ansible, the command runs the collection's playbook (start.yml, ...) instead.",
    )
    parser.add_argument(
        "-f",
        "--file",
        default=DEFAULT_FILE,
        help="read the environment from FILE (- for stdin; default ./maestro.yaml)",
    )
    parser.add_argument(
        "--via-ansible",
        action="store_true",
        help="run the collection's playbook with ansible-playbook (as words after -- do)",
    )
    parser.add_argument("-v", "--version", action="version", version="maestro (maestro.ng) " + __version__)
    parser.add_argument(
        "--verbose",
        action="count",
        default=0,
        help="also a line per instance when a service is done (as -v of ansible-playbook)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    status = _command(commands, "status", "display container status")
    status.add_argument("-F", "--full", action="store_true", help="accepted; the status is always full")
    _command(commands, "pull", "pull container images onto their ships")
    _rollout_options(_rerun_option(_start_options(_command(commands, "start", "start services and containers"))))
    _restart_options(_rollout_options(_start_options(_command(commands, "restart", "restart services and containers"))))
    _adopt_option(_all_option(_command(commands, "stop", "stop services and containers")))
    _adopt_option(_all_option(_command(commands, "kill", "kill services and containers")))
    _adopt_option(_command(commands, "clean", "remove stopped containers"))
    logs = _command(
        commands, "logs", "show the log of one container", things=False, concurrency=False, deps=False, filters=False
    )
    logs.add_argument("container", help="the instance")
    logs.add_argument(
        "-n", type=int, default=-1, dest="lines", metavar="N", help="only the last N lines (default: the whole log)"
    )
    logs.add_argument("-F", "--follow", action="store_true", help="follow the log")
    deptree = _command(commands, "deptree", "show the dependency tree", concurrency=False, deps=False, filters=False)
    deptree.add_argument("-r", "--recursive", action="store_true", help="accepted; the tree is always complete")
    return parser


def _command(commands, name, help_text, things=True, concurrency=True, deps=True, filters=True):
    """One subcommand with the options most commands share (MaestroNG's)."""
    sub = commands.add_parser(name, help=help_text, description=help_text)
    if things:
        sub.add_argument(
            "things",
            nargs="*",
            metavar="thing",
            help="service(s) or instance(s) to act on (names or fnmatch patterns)",
        )
    if concurrency:
        sub.add_argument(
            "-c",
            "--concurrency",
            "--concurrency-limit",
            dest="limit",
            type=int,
            metavar="LIMIT",
            help="at most LIMIT container operations at once over the whole run (-c 1 on restart: a rolling "
            "restart, one container at a time, each through its checks)",
        )
        if name != "status":
            sub.add_argument(
                "--ship-concurrency",
                type=int,
                metavar="LIMIT",
                help="at most LIMIT container operations at once on one ship (default 32)",
            )
    if deps:
        sub.add_argument(
            "-d",
            "--with-dependencies",
            action="store_true",
            help="include the dependencies (dependents for stop, kill, clean)",
        )
        sub.add_argument("-i", "--ignore-dependencies", action="store_true", help="act on the named things only")
    if filters:
        sub.add_argument(
            "-C", "--container-filter", metavar="PATTERN", help="only containers whose name matches (fnmatch)"
        )
        sub.add_argument(
            "-S", "--ship-filter", metavar="PATTERN", help="only containers on ships whose name matches (fnmatch)"
        )
    return sub


def _start_options(sub):
    """start's and restart's options."""
    sub.add_argument("-r", "--refresh-images", action="store_true", help="pull images even when the ship has them")
    sub.add_argument(
        "--reuse", action="store_true", help="accepted; existing containers are always reused unless they drifted"
    )
    sub.add_argument(
        "--start-grace",
        type=float,
        default=0,
        metavar="SECONDS",
        help="seconds each started container must keep running before its dependents "
        "start (default 0: checked once right after the start)",
    )
    sub.add_argument(
        "--no-wait-healthy",
        dest="wait_healthy",
        action="store_false",
        help="a container whose healthcheck gates readiness counts as started once it runs, not once healthy",
    )
    return sub


def _rerun_option(sub):
    sub.add_argument(
        "--rerun-oneshots",
        action="store_true",
        help="run the containers of oneshot services again, even those that exited 0 and match the file",
    )
    return sub


def _rollout_options(sub):
    """How a change rolls out (not in MaestroNG): over each service's update: (docs/updates.md)."""
    _adopt_option(sub)
    sub.add_argument(
        "--update-parallelism",
        metavar="N|P%",
        help="replace this many instances of a service at once (a number, or a percentage); default: each "
        "service's update: parallelism, else 1",
    )
    sub.add_argument("--update-delay", type=float, metavar="SECONDS", help="seconds between two batches")
    sub.add_argument(
        "--update-failure-action",
        metavar="ACTION",
        help="what a failed batch does: rollback, pause or continue (default: each service's update: "
        "failure_action, else rollback)",
    )
    return sub


def _adopt_option(sub):
    sub.add_argument(
        "--adopt",
        action="store_true",
        help="take over containers with an instance's name that this environment did not make (by hand, MaestroNG)",
    )
    return sub


def _restart_options(sub):
    _all_option(sub)
    sub.add_argument(
        "--only-if-changed", action="store_true", help="only restart containers whose image or settings changed"
    )
    sub.add_argument("--step-delay", type=float, default=0, metavar="SECONDS", help="delay between containers")
    sub.add_argument(
        "--stop-start-delay",
        type=float,
        default=0,
        metavar="SECONDS",
        help="delay between the stop and the start of a container",
    )


def _all_option(sub):
    sub.add_argument(
        "-a",
        "--all",
        action="store_true",
        help="accepted (MaestroNG wants it to act on everything); no names always is",
    )
    return sub


def _with_default_command(argv):
    """MaestroNG's `status` when no command is given: insert it after the global options."""
    index = 0
    while index < len(argv):
        word = argv[index]
        if word in ("-f", "--file"):
            index += 2
            continue
        if (
            word.startswith("--file=")
            or (word.startswith("-f") and len(word) > 2)
            or word in ("-h", "--help", "-v", "--version", "--via-ansible", "--verbose")
        ):
            index += 1
            continue
        if word in COMMAND_WORDS:
            return argv
        break
    return argv[:index] + ["status"] + argv[index:]


def parse(argv):
    """argv (without the program name) -> (argparse namespace, ansible-playbook extra words)."""
    argv = list(argv)
    passthrough = []
    if "--" in argv:
        cut = argv.index("--")
        argv, passthrough = argv[:cut], argv[cut + 1 :]
    return _parser().parse_args(_with_default_command(argv)), passthrough


# --------------------------------------------------------------------------- locating the collection
def collection_root():
    """The collection's root: the folder holding this package."""
    return Path(__file__).resolve().parent.parent


def _layout(root):
    """(playbook folder or None, collections path or None, ansible.cfg or None) for root."""
    root = Path(root)
    if not (root / "playbooks" / "start.yml").is_file():
        return None, None, None  # pip-installed: use the installed collection
    linked = root / "collections" / "ansible_collections" / "maestro" / "ng"
    if linked.is_dir():  # the source tree
        cfg = root / "ansible.cfg"
        return root / "playbooks", root / "collections", cfg if cfg.is_file() else None
    if root.parent.name == "maestro" and root.parent.parent.name == "ansible_collections":
        return root / "playbooks", root.parent.parent.parent, None  # an installed collection
    return root / "playbooks", None, None


def _ansible_playbook():
    explicit = os.environ.get("MAESTRO_ANSIBLE_PLAYBOOK")
    if explicit:
        return explicit
    beside = Path(sys.executable).parent / "ansible-playbook"
    if beside.is_file():
        return str(beside)
    return shutil.which("ansible-playbook") or "ansible-playbook"


# --------------------------------------------------------------------------- translation
def translate(argv, cwd=None, root=None, environ=None, ansible_playbook="ansible-playbook"):
    """MaestroNG's arguments -> Invocation (the ansible-playbook command to run).

    Raises UsageError for combinations that cannot be honoured; argparse exits (2) on
    arguments MaestroNG itself would refuse.
    """
    args, passthrough = parse(argv)
    cwd = Path(cwd or os.getcwd())
    environ = os.environ if environ is None else environ
    folder, collections, cfg = _layout(root or collection_root())
    name = PLAYBOOKS.get(args.command, args.command)
    playbook = str(folder / ("%s.yml" % name)) if folder else "maestro.ng.%s" % name

    env_file = None if args.file == "-" else str((cwd / args.file).resolve())
    notes = []
    extra = playbook_vars(args, notes)

    argv_out = [ansible_playbook, playbook, "-e", "env=-" if env_file is None else "env=%s" % env_file]
    if env_file is not None and any(c.isspace() for c in env_file):
        argv_out[-1] = json.dumps({"env": env_file})
    if extra:
        argv_out += ["-e", json.dumps(extra, sort_keys=True)]
    if args.verbose:
        argv_out.append("-" + "v" * args.verbose)
    argv_out += passthrough
    return Invocation(argv_out, _ansible_environ(collections, cfg, environ), notes, env_file)


def playbook_vars(args, notes):
    """The playbook variables of parsed arguments (the engine path reads the same ones);
    raises UsageError, appends notes for stderr to ``notes``."""
    extra = _selection_vars(args, notes)
    extra.update(_command_vars(args, notes))
    return extra


def _selection_vars(args, notes):
    """The playbook variables of what the command acts on: names, ships, dependencies."""
    extra = {}
    things = list(getattr(args, "things", []) or [])
    container_filter = getattr(args, "container_filter", None)
    if container_filter:
        if things:
            raise UsageError(
                "-C/--container-filter cannot be combined with names here: "
                "give the instance names or patterns as things instead"
            )
        things = [container_filter]
    if things:
        extra["services"] = things
    if getattr(args, "ship_filter", None):
        extra["ships"] = [args.ship_filter]
    if hasattr(args, "with_dependencies"):
        # MaestroNG acts on the named things only unless -d includes their dependencies.
        extra["ignore_dependencies"] = not args.with_dependencies
        if args.with_dependencies and args.ignore_dependencies:
            notes.append("maestro: -d with -i: dependencies included, still in dependency order")
    return extra


def _command_vars(args, notes):
    """The playbook variables of the command's own options."""
    command, extra = args.command, {}
    if command in ("start", "restart") and args.refresh_images:
        extra["refresh_images"] = True
    if command in ("start", "restart") and args.start_grace:
        extra["start_grace"] = args.start_grace
    if command in ("start", "restart") and not args.wait_healthy:
        extra["wait_healthy"] = False
    if getattr(args, "rerun_oneshots", False):
        extra["rerun_oneshots"] = True
    if getattr(args, "adopt", False):
        extra["adopt"] = True
    for option in ("update_parallelism", "update_delay", "update_failure_action"):
        if getattr(args, option, None) is not None:
            extra[option] = getattr(args, option)
    if command == "restart":
        if args.only_if_changed:
            extra["only_if_changed"] = True
        if args.step_delay:
            extra["step_delay"] = args.step_delay
        if args.stop_start_delay:
            extra["stop_start_delay"] = args.stop_start_delay
        if args.limit == 1:
            extra["rolling"] = True
    limit = getattr(args, "limit", None)
    if limit is not None and command != "status":
        if limit < 1:
            raise UsageError("-c %d: at least one operation at once" % limit)
        extra["concurrency"] = limit
    if getattr(args, "ship_concurrency", None) is not None:
        extra["ship_concurrency"] = args.ship_concurrency
    if command == "logs":
        extra["instance"] = args.container
        extra["tail"] = args.lines
        if args.follow:
            extra["follow"] = True
    return extra


def _ansible_environ(collections, cfg, environ):
    """The environment variables ansible-playbook needs to find this collection and its output."""
    env_updates = {}
    if collections is not None:
        current = environ.get("ANSIBLE_COLLECTIONS_PATH") or environ.get("ANSIBLE_COLLECTIONS_PATHS")
        env_updates["ANSIBLE_COLLECTIONS_PATH"] = os.pathsep.join(
            [str(collections)]
            + ([current] if current else ["~/.ansible/collections", "/usr/share/ansible/collections"])
        )
    if cfg is not None and not environ.get("ANSIBLE_CONFIG"):
        env_updates["ANSIBLE_CONFIG"] = str(cfg)
    elif cfg is None and not environ.get("ANSIBLE_STDOUT_CALLBACK"):
        # Outside the source tree no ansible.cfg of ours selects the collection's output
        # (levels, summary, the status table); a MaestroNG user expects it from this command.
        env_updates["ANSIBLE_STDOUT_CALLBACK"] = "maestro.ng.maestro"
    return env_updates


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args, passthrough = parse(argv)
    collections = _layout(collection_root())[1]
    if passthrough or args.via_ansible or not engine.importable(collections):
        return _via_ansible(argv)
    notes = []
    try:
        extra = playbook_vars(args, notes)
    except UsageError as e:
        sys.stderr.write("maestro: %s\n" % e)
        return 2
    env_file = None if args.file == "-" else str(Path(args.file).resolve())
    if env_file is not None and not os.path.isfile(env_file):
        sys.stderr.write("maestro: cannot read environment file %s: no such file\n" % env_file)
        return 1
    for note in notes:
        sys.stderr.write(note + "\n")
    try:
        return engine.run(args, extra, env_file)
    except KeyboardInterrupt:  # before or after a run (within one, the engine stops between containers)
        return 130


def _via_ansible(argv):
    """Run the command's playbook with ansible-playbook; its exit code."""
    try:
        invocation = translate(argv, ansible_playbook=_ansible_playbook())
    except UsageError as e:
        sys.stderr.write("maestro: %s\n" % e)
        return 2
    if invocation.env_file is not None and not os.path.isfile(invocation.env_file):
        sys.stderr.write("maestro: cannot read environment file %s: no such file\n" % invocation.env_file)
        return 1
    for note in invocation.notes:
        sys.stderr.write(note + "\n")
    environ = dict(os.environ)
    environ.pop("ANSIBLE_COLLECTIONS_PATHS", None)
    environ.update(invocation.environ)
    try:
        return subprocess.call(invocation.argv, env=environ)
    except FileNotFoundError:
        sys.stderr.write("maestro: %s not found (install ansible-core)\n" % invocation.argv[0])
        return 127
    except KeyboardInterrupt:
        return 130
