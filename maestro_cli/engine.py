# Copyright: maestro.ng contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The `maestro` command in its own process: the collection's engine (plugins/module_utils),
called as the action plugins call it, without ansible-playbook and without Ansible's executor.

`run()` takes the parsed arguments and the playbook variables `cli.translate` would pass
(one translation for both paths) and returns the exit code: 0 done, 2 failed (a bad file,
a failed container: ansible-playbook's code for a failed task).
"""

import copy
import importlib
import os
import sys

FAILED = 2
# Where the engine (the collection's plugins/module_utils) is imported from: the collection (a checkout,
# an installed collection), else the copy the wheel of `pip install .` carries (pyproject.toml).
ENGINES = ("ansible_collections.maestro.ng.plugins.module_utils", "maestro_cli.module_utils")
_engine = None
# Playbook variables that are orchestrate options as they are.
OPTIONS = (
    "services",
    "ships",
    "refresh_images",
    "start_grace",
    "wait_healthy",
    "rerun_oneshots",
    "only_if_changed",
    "step_delay",
    "stop_start_delay",
    "rolling",
    "adopt",
    "update_parallelism",
    "update_delay",
    "update_failure_action",
    "concurrency",
    "ship_concurrency",
    "keep_going",
    "lock_timeout",
    "plan",
    "apply_plan",
)


def importable(collections):
    """Whether the engine can be imported, from the collection (``collections``: the folder holding
    ansible_collections/maestro/ng, put first on sys.path; None: as installed) or else from the copy a
    pip-installed ``maestro`` carries (ENGINES)."""
    global _engine  # pylint: disable=global-statement
    if collections is not None and str(collections) not in sys.path:
        sys.path.insert(0, str(collections))
    for package in ENGINES:
        try:
            importlib.import_module(package + ".model.environment")
        except ImportError:
            continue
        _engine = package
        return True
    return False


def part(name):
    """The engine's module ``name`` (``run.status``), from where importable() found the engine: one import
    path for the collection's and the bundled copy (the engine's own imports are relative)."""
    return importlib.import_module("%s.%s" % (_engine or ENGINES[0], name))


def _colour_on(stream):
    if os.environ.get("ANSIBLE_FORCE_COLOR"):
        return True
    if os.environ.get("NO_COLOR") or os.environ.get("ANSIBLE_NOCOLOR"):
        return False
    return stream.isatty()


class Output:
    """Lines on stdout (coloured by their tone on a terminal, as Ansible would), notes on stderr;
    with ``as_json``, stdout carries only the result as JSON (``document``) and the lines go to
    stderr, as the playbooks' ``-e output=json`` has them."""

    def __init__(self, stdout=None, stderr=None, verbosity=0, as_json=False):
        self.stderr = stderr or sys.stderr
        self.result = stdout or sys.stdout
        self.stdout = self.stderr if as_json else self.result
        self.colour = _colour_on(self.stdout)
        self.verbosity = verbosity  # a line of a higher verbosity (report.Line) is not shown
        self.as_json = as_json
        self.secrets = []  # the environment's secrets, once it is loaded: no output shows them

    def document(self, doc):
        """The result as JSON on stdout (only with ``as_json``)."""
        if self.as_json:
            import json

            doc = part("model.secrets").hidden(doc, self.secrets)
            self.result.write(json.dumps(doc, indent=2, default=str) + "\n")
            self.result.flush()

    def paint(self, text, tone):
        TONES = part("run.report").TONES

        code = TONES[tone].ansi if self.colour and tone in TONES else None
        return "\033[%sm%s\033[0m" % (code, text) if code else text

    def line(self, line):
        if getattr(line, "verbosity", 0) > self.verbosity:
            return
        text = part("model.secrets").hide(str(line), self.secrets)
        self.stdout.write(self.paint(text, getattr(line, "tone", None)) + "\n")
        self.stdout.flush()

    def warn(self, text):
        self.stderr.write("[WARNING]: %s\n" % part("model.secrets").hide(text, self.secrets))
        self.stderr.flush()

    def fail(self, text):
        self.stderr.write("maestro: %s\n" % part("model.secrets").hide(text, self.secrets))
        self.stderr.flush()
        return FAILED


def run(args, extra, env_file, out=None):
    """Run the command ``args.command`` with the playbook variables ``extra``; the exit code."""
    MaestroError = part("errors").MaestroError
    environment, selection = part("model.environment"), part("model.selection")

    out = out or Output(verbosity=getattr(args, "verbose", 0), as_json=extra.get("output") == "json")
    options = orchestrate_options(args.command, extra)
    try:
        env = environment.load(env_file or "-", stdin=sys.stdin, vault=run_vault(args))
        out.secrets = part("model.secrets").secret_values(env)
        if getattr(args, "implicit", None) and not selection.named(env, args.implicit):
            raise NamesNothing(args.implicit)
        for warning in env.warnings:
            out.warn(warning)
        if args.command == "logs":
            return _logs(env, extra, out)
        names = selection.select_options(env, options, dependents=_stop_like(options["state"]))
        if args.command == "deptree":
            return _deptree(env, names, out)
        if args.command == "dump":
            return _dump(env, names, args.config)
        if args.command == "status":
            return _status(env, names, extra, out)
    except MaestroError as exc:
        return out.fail(str(exc))
    return _orchestrate(
        env, names, options, out, check=getattr(args, "check", False), diff=getattr(args, "diff", False)
    )


def run_vault(args):
    """The engine's Vault with the command's vault options (as ansible-playbook takes them, with
    ansible.cfg's and ANSIBLE_VAULT_PASSWORD_FILE): Ansible's vault code is imported, and a password
    asked for, only when the file holds vault data."""

    def opener():
        from ansible import constants
        from ansible.cli import CLI
        from ansible.parsing.dataloader import DataLoader
        from ansible.parsing.vault import VaultLib

        secrets = CLI.setup_vault_secrets(
            DataLoader(),
            vault_ids=list(constants.DEFAULT_VAULT_IDENTITY_LIST) + list(getattr(args, "vault_ids", None) or []),
            vault_password_files=list(getattr(args, "vault_password_files", None) or []),
            ask_vault_pass=getattr(args, "ask_vault_pass", False),
            auto_prompt=False,
            initialize_context=False,  # the engine decrypts with VaultLib itself
        )
        return VaultLib(secrets)

    return part("model.vault").Vault(opener)


def _stop_like(state):
    """Whether ``state`` selects dependents, as the orchestrate action does (none for status, deptree)."""
    if state is None:
        return False
    COMMANDS = part("command_specs").COMMANDS

    return COMMANDS[state].reverse


def orchestrate_options(command, extra):
    """The orchestrate action's arguments (action_specs.ORCHESTRATE_SPEC, defaults filled in)
    for ``command`` and the playbook variables ``extra``, as the command's playbook sets them."""
    ORCHESTRATE_SPEC = part("action_specs").ORCHESTRATE_SPEC
    BY_WORD = part("command_specs").BY_WORD

    options = {key: copy.deepcopy(spec.get("default")) for key, spec in ORCHESTRATE_SPEC.items()}
    options.update(
        {key: extra[key] for key in OPTIONS if key in extra},
        state=BY_WORD[command].state if command in BY_WORD else None,
        with_dependencies=not extra.get("ignore_dependencies", False),
    )
    return options


def _status(env, names, extra, out):
    status_tone = part("run.report").status_tone
    status_result = part("run.status").status_result

    result = status_result(
        env, names, ports=extra.get("ports", False), hosts=extra.get("show_hosts", False), paint=out.paint
    )
    if out.as_json:  # the rows alone, as the playbook's output=json has them
        out.document(result["instances"])
        return 0
    out.line(result["table"])
    out.line(out.paint(result["summary"], status_tone(result["instances"])))
    return 0


def _dump(env, names, config):
    import json

    dump = part("model.secrets").dump

    sys.stdout.write(json.dumps(dump(env, names, config=config), indent=2) + "\n")
    return 0


def _orchestrate(env, names, options, out, check=False, diff=False):
    orchestrate = part("run.commands").orchestrate
    report = part("run.report")

    result = orchestrate(env, names, options, progress=out.line, warn=out.warn, check_mode=check, diff=diff)
    for line in report.diff_lines(
        result.get("diff") or [],
        result_format=os.environ.get("ANSIBLE_CALLBACK_RESULT_FORMAT", "yaml"),
        context=int(os.environ.get("ANSIBLE_DIFF_CONTEXT", 3)),
    ):
        out.line(line)
    out.document(report.result_document(result, failed=bool(result.get("failed"))))
    if result.get("interrupted"):  # the run has said so, and what is left
        return FAILED
    if result.get("failed"):
        return out.fail(result.get("msg") or "failed")
    return 0


def _logs(env, extra, out):
    ShipUnreachable = part("docker.client").ShipUnreachable
    logs = part("run.commands").logs

    try:
        for line in logs(env, extra["instance"], tail=extra["tail"], follow=extra.get("follow", False), show=out.line):
            out.line(line)
    except ShipUnreachable as exc:
        return out.fail(str(exc))
    return 0


def _deptree(env, names, out):
    view = part("run.deps").deps_result(env, names)
    out.line(view["tree"])
    out.line("order: " + " | ".join(", ".join(level["services"]) for level in view["levels"]))
    for service, reached in view["impact"].items():
        out.line("a change to %s restarts: %s" % (service, ", ".join(reached)))
    out.line(view["critical_path"]["line"])
    return 0


class NamesNothing(Exception):
    """The word that stood where the command goes names no service or instance (cli.unknown_command)."""


def _loaded(env_file):
    """The environment of a file, or None if it does not load (the playbook says why)."""
    MaestroError = part("errors").MaestroError
    try:
        return part("model.environment").load(env_file)
    except (MaestroError, OSError):
        return None


def names(env_file):
    """The services and instances of an environment file (for completion); None if it does not load."""
    env = _loaded(env_file)
    return None if env is None else list(env.services) + list(env.instances)


def named(env_file, word):
    """Whether ``word`` names a service or instance of the file (selection.named, as ``run`` checks it);
    None if the file does not load."""
    env = _loaded(env_file)
    return None if env is None else bool(part("model.selection").named(env, word))
