# Copyright: maestro.ng contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MaestroNG's command line on the maestro.ng collection's engine.

    maestro [-f FILE] [--via-ansible] [COMMAND] [OPTIONS] [THING ...] [-- ANSIBLE-PLAYBOOK OPTIONS]

COMMAND is one of MaestroNG 0.8.3's: status (the default), start, stop, kill, restart, clean,
pull, logs, deptree, dump, complete. FILE defaults to ./maestro.yaml; `-f -` reads the
environment from standard input. The command runs the engine in its own process (engine.py),
the collection's own options included (--check, --diff, --plan, --output json, ...); words
after `--` go to ansible-playbook as they are (`-- -vvv`), so they, and `--via-ansible`, run
the collection's playbook instead (dump and complete have none: they always run here).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from maestro_cli import __version__, completion, engine

# MaestroNG 0.8.3's command words (command_specs.BY_WORD has no status, logs, deptree, dump or
# complete; maestro has no remove), in the order its help lists them.
COMMAND_WORDS = ("status", "start", "stop", "kill", "restart", "clean", "pull", "logs", "deptree", "dump", "complete")
IN_PROCESS = ("dump", "complete")  # no playbook: always run here
PLAYBOOKS = {"deptree": "deps"}  # command -> playbook name, when they differ
DEFAULT_FILE = "maestro.yaml"
# Each command's examples, shown by its --help (and the first ones by maestro --help).
EXAMPLES = {
    "status": (
        "maestro -f demo.yaml                  status of every instance (no command: status)",
        "maestro -f demo.yaml kafka            the same, of kafka's instances",
        "maestro -f demo.yaml status -F -H     each named port's state, ships by address",
        "maestro -f demo.yaml status --output json",
    ),
    "start": (
        "maestro -f demo.yaml start                    the whole environment, dependencies first",
        "maestro -f demo.yaml start -d kafka           zookeeper, then kafka",
        "maestro -f demo.yaml start --check --diff     what would change, and how; changes nothing",
        "maestro -f demo.yaml start --check --plan p.json && maestro -f demo.yaml start --apply-plan p.json",
    ),
    "stop": ("maestro -f demo.yaml stop kafka", "maestro -f demo.yaml stop -S 'ship[12]' --keep-going"),
    "kill": ("maestro -f demo.yaml kill kafka-1",),
    "restart": (
        "maestro -f demo.yaml restart --rolling --step-delay 5 --only-if-changed web",
        "maestro -f demo.yaml restart web --update-parallelism 50%",
    ),
    "clean": ("maestro -f demo.yaml clean --check",),
    "pull": ("maestro -f demo.yaml pull kafka",),
    "logs": ("maestro -f demo.yaml logs kafka-1 -n 50 -F",),
    "deptree": ("maestro -f demo.yaml deptree",),
    "dump": ("maestro -f demo.yaml dump kafka-1", "maestro -f demo.yaml dump -c | jq .environment.ships"),
    "complete": (
        "maestro -f demo.yaml complete maestro start ka   -> kafka kafka-1 kafka-2",
        "(shell setup: README.md, 'The maestro command')",
    ),
}


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
def _examples(*commands):
    return "examples:\n" + "\n".join("  " + line for command in commands for line in EXAMPLES[command])


def _parser():
    parser = argparse.ArgumentParser(
        prog="maestro",
        description="MaestroNG's command line, run by the maestro.ng Ansible collection's engine in this process.",
        epilog=_examples("status", "start")
        + "\n\nWords after -- are passed to ansible-playbook (e.g. -- -vvv): with them, or with --via-ansible, "
        "the command\nruns the collection's playbook (start.yml, ...) instead. Each command's --help lists its options.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
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
    parser.commands = commands.choices  # for completion: each command's parser

    status = _command(commands, "status", "display container status")
    status.add_argument(
        "-F",
        "--full",
        action="store_true",
        help="also each named port's state: a TCP connection from here to the port on its ship, all at "
        "once, each at most about 1.3 s (UDP ports are not tried)",
    )
    status.add_argument("-H", "--show-hosts", action="store_true", help="show each ship's address instead of its name")
    _output_option(status)
    _dump_options(commands)
    _run_options(_command(commands, "pull", "pull container images onto their ships"), plans=False)
    _run_options(
        _rollout_options(_rerun_option(_start_options(_command(commands, "start", "start services and containers"))))
    )
    _run_options(
        _restart_options(
            _rollout_options(_start_options(_command(commands, "restart", "restart services and containers")))
        )
    )
    _run_options(_adopt_option(_all_option(_command(commands, "stop", "stop services and containers"))))
    _run_options(_adopt_option(_all_option(_command(commands, "kill", "kill services and containers"))))
    _run_options(_adopt_option(_command(commands, "clean", "remove stopped containers")))
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
    complete = commands.add_parser(
        "complete",
        help="shell auto-completion helper",
        description="Print the words that complete the last of WORDS (a maestro command line, from the "
        "program's name to the word being typed, given as words or as one string): the commands, a "
        "command's options, or the environment's services and instances.",
        epilog=_examples("complete"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    complete.add_argument("tokens", nargs=argparse.REMAINDER, metavar="WORDS", help="the command line so far")
    return parser


def _dump_options(commands):
    dump = _command(
        commands,
        "dump",
        "print the parsed environment as JSON (secrets hidden)",
        concurrency=False,
        deps=False,
        filters=False,
    )
    dump.add_argument(
        "-c",
        "--config",
        action="store_true",
        help="also the whole parsed environment (ships, services, levels, registries, audit), not only "
        "the instances as their containers get them; on stdout, where MaestroNG wrote stderr",
    )


def _command(commands, name, help_text, things=True, concurrency=True, deps=True, filters=True):
    """One subcommand with the options most commands share (MaestroNG's)."""
    sub = commands.add_parser(
        name,
        help=help_text,
        description=help_text,
        epilog=_examples(name),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
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
            help="at most LIMIT container operations at once over the whole run, as in MaestroNG 0.8.3 (-c 1 "
            "on restart: a rolling restart, one container at a time, each through its checks); status lists "
            "each ship once whatever LIMIT is",
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
        sub.add_argument(
            "-i",
            "--ignore-dependencies",
            action="store_true",
            help="act on the named things only (where MaestroNG also dropped their order, this keeps it)",
        )
    if filters:
        sub.add_argument(
            "-C", "--container-filter", metavar="PATTERN", help="only containers whose name matches (fnmatch)"
        )
        sub.add_argument(
            "-S", "--ship-filter", metavar="PATTERN", help="only containers on ships whose name matches (fnmatch)"
        )
    _vault_options(sub)
    return sub


def _vault_options(sub):
    """ansible-playbook's vault options: the passwords of the file's ansible-vault data (ansible.cfg's
    vault_identity_list and vault_password_file, and ANSIBLE_VAULT_PASSWORD_FILE, count too)."""
    vault = sub.add_argument_group("vault (the environment file's ansible-vault data)")
    vault.add_argument(
        "--vault-id",
        action="append",
        default=[],
        dest="vault_ids",
        metavar="ID",
        help="a vault identity (label@source)",
    )
    vault.add_argument(
        "--vault-password-file",
        "--vault-pass-file",
        action="append",
        default=[],
        dest="vault_password_files",
        metavar="FILE",
        help="a file holding the vault password (or a script printing it)",
    )
    vault.add_argument(
        "-J",
        "--ask-vault-password",
        "--ask-vault-pass",
        action="store_true",
        dest="ask_vault_pass",
        help="ask for the vault password",
    )


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


def _run_options(sub, plans=True):
    """How a changing command runs (not in MaestroNG): the playbooks' check, diff, plans and options."""
    sub.add_argument(
        "--check", action="store_true", help="say what would be done and change nothing (ansible-playbook's --check)"
    )
    sub.add_argument(
        "--diff",
        action="store_true",
        help="show each container's settings that change, before and after (ansible-playbook's --diff)",
    )
    if plans:
        sub.add_argument(
            "--plan", metavar="FILE", help="with --check: write what would be done to FILE, for --apply-plan"
        )
        sub.add_argument(
            "--apply-plan",
            metavar="FILE",
            help="do what FILE (from --check --plan) says, refused if a container moved since",
        )
    sub.add_argument(
        "--keep-going",
        action="store_true",
        help="after a failure, go on with everything that does not depend on what failed",
    )
    sub.add_argument(
        "--lock-timeout",
        type=float,
        metavar="SECONDS",
        help="how long to wait for another run of the environment on this machine (default 300)",
    )
    return _output_option(sub)


def _output_option(sub):
    sub.add_argument(
        "--output",
        choices=("text", "json"),
        default="text",
        help="json: only the result on stdout, as JSON (status: the rows); the progress on stderr",
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
    """How a change rolls out (not in MaestroNG): over each service's update: (docs/docsite/rst/updates.rst)."""
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
        "--rolling",
        action="store_true",
        help="one container at a time, each through its checks before the next (as -c 1)",
    )
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
    return sub


def _all_option(sub):
    sub.add_argument(
        "-a",
        "--all",
        action="store_true",
        help="accepted (MaestroNG wants it to act on everything); no names always is",
    )
    sub.add_argument(
        "-s",
        "--expand-services",
        action="store_true",
        help="accepted (MaestroNG wants it to take service names); names always are",
    )
    return sub


def _command_index(argv):
    """Where the command word is (or would be) in argv: after the global options."""
    index = 0
    while index < len(argv):
        word = argv[index]
        if word in ("-f", "--file"):
            index += 2
        elif (
            word.startswith("--file=")
            or (word.startswith("-f") and len(word) > 2)
            or word in ("-h", "--help", "-v", "--version", "--via-ansible", "--verbose")
        ):
            index += 1
        else:
            break
    return index


def parse(argv):
    """argv (without the program name) -> (argparse namespace, ansible-playbook extra words).

    No command word is MaestroNG's `status` (this collection's own form takes names then:
    ``maestro kafka``); ``args.implicit`` is the word that stood where the command goes, which
    must then name a service or instance (else it is answered as an unknown command)."""
    argv = list(argv)
    index = _command_index(argv)
    word = argv[index] if index < len(argv) else None
    if word == "complete" and argv[index + 1 :] not in (["-h"], ["--help"]):
        # Its words are a command line, options and -- included: not parsed here.
        args = _parser().parse_args(argv[: index + 1])
        args.tokens, args.implicit = argv[index + 1 :], None
        return args, []
    passthrough = []
    if "--" in argv:
        cut = argv.index("--")
        argv, passthrough = argv[:cut], argv[cut + 1 :]
    implicit = None
    if word not in COMMAND_WORDS:
        argv.insert(index, "status")
        implicit = word if word and not word.startswith("-") else None
    args = _parser().parse_args(argv)
    args.implicit = implicit
    return args, passthrough


def unknown_command(word, env_file):
    """The usage error of a first word that is no command and names nothing in the environment."""
    choices = ", ".join(repr(command) for command in COMMAND_WORDS)
    _parser().error(
        "argument COMMAND: invalid choice: %r (choose from %s; or name a service or instance of %s)"
        % (word, choices, env_file or "the environment")
    )


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
    argv_out += [flag for flag in ("--check", "--diff") if getattr(args, flag[2:], False)]
    argv_out += vault_flags(args)
    argv_out += passthrough
    return Invocation(argv_out, _ansible_environ(collections, cfg, environ), notes, env_file)


def vault_flags(args):
    """ansible-playbook's vault options, as the command was given them."""
    flags = []
    for vault_id in getattr(args, "vault_ids", None) or []:
        flags += ["--vault-id", vault_id]
    for password_file in getattr(args, "vault_password_files", None) or []:
        flags += ["--vault-password-file", password_file]
    return flags + (["--ask-vault-pass"] if getattr(args, "ask_vault_pass", False) else [])


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
        if args.limit == 1 or args.rolling:
            extra["rolling"] = True
    limit = getattr(args, "limit", None)
    if limit is not None and command != "status":
        if limit < 1:
            raise UsageError("-c %d: at least one operation at once" % limit)
        extra["concurrency"] = limit
    if getattr(args, "ship_concurrency", None) is not None:
        extra["ship_concurrency"] = args.ship_concurrency
    for option in ("plan", "apply_plan", "lock_timeout"):
        if getattr(args, option, None) is not None:
            extra[option] = getattr(args, option)
    if getattr(args, "keep_going", False):
        extra["keep_going"] = True
    if getattr(args, "output", "text") == "json":
        extra["output"] = "json"
    if command == "status" and args.full:
        extra["ports"] = True
    if command == "status" and args.show_hosts:
        extra["show_hosts"] = True
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
    importable = engine.importable(_layout(collection_root())[1])
    if args.command == "complete":
        print(" ".join(completion.words(_parser(), args.tokens, engine.names if importable else None)))
        return 0
    env_file = None if args.file == "-" else str(Path(args.file).resolve())
    readable = env_file is None or os.path.isfile(env_file)
    if args.implicit and not readable:
        unknown_command(args.implicit, args.file)
    if args.command in IN_PROCESS and not importable:
        sys.stderr.write("maestro: %s needs the maestro.ng collection's engine beside this command\n" % args.command)
        return 1
    if args.command not in IN_PROCESS and (passthrough or args.via_ansible or not importable):
        if args.implicit and env_file and importable and engine.named(env_file, args.implicit) is False:
            unknown_command(args.implicit, args.file)
        return _via_ansible(argv)
    notes = []
    try:
        extra = playbook_vars(args, notes)
    except UsageError as e:
        sys.stderr.write("maestro: %s\n" % e)
        return 2
    if not readable:
        sys.stderr.write("maestro: cannot read environment file %s: no such file\n" % env_file)
        return 1
    for note in notes:
        sys.stderr.write(note + "\n")
    try:
        return engine.run(args, extra, env_file)
    except engine.NamesNothing:
        unknown_command(args.implicit, args.file)
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
