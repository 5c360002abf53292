"""The `maestro` command: MaestroNG's arguments -> the ansible-playbook command it runs."""

import io
import json
import os
import re
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
if REPO not in sys.path:
    sys.path.insert(0, REPO)

from maestro_cli import cli, engine  # noqa: E402


def run(*argv, cwd="/home/me/env", root=REPO, environ=None):
    """translate(argv) -> (playbook, env value, extra vars, passthrough words, invocation)."""
    inv = cli.translate(list(argv), cwd=cwd, root=root, environ=environ or {})
    words = inv.argv
    assert words[0] == "ansible-playbook"
    assert words[2] == "-e"
    env = words[3]
    env = env.partition("=")[2] if env.startswith("env=") else json.loads(env)["env"]
    rest = words[4:]
    extra = {}
    if rest[:1] == ["-e"]:
        extra = json.loads(rest[1])
        rest = rest[2:]
    return words[1], env, extra, rest, inv


def playbook(name):
    return os.path.join(REPO, "playbooks", name + ".yml")


def test_no_command_is_status_of_maestro_yaml():
    book, env, extra, rest, inv = run()
    assert (book, env, extra, rest) == (
        playbook("status"),
        "/home/me/env/maestro.yaml",
        {"ignore_dependencies": True},
        [],
    )
    assert inv.env_file == "/home/me/env/maestro.yaml"


def test_names_without_a_command_are_a_status():
    """MaestroNG's original form: `maestro [-f FILE] [command] [names]`, status by default."""
    book, env, extra, rest, inv = run("-f", "e.yaml", "kafka")
    assert (book, extra) == (playbook("status"), {"services": ["kafka"], "ignore_dependencies": True})


def test_file_option_forms():
    assert run("-f", "demo.yaml")[1] == "/home/me/env/demo.yaml"
    assert run("--file", "../x.yaml", "start")[1] == "/home/me/x.yaml"
    assert run("--file=/abs/e.yaml", "stop")[1] == "/abs/e.yaml"
    assert run("-fother.yaml")[:2] == (playbook("status"), "/home/me/env/other.yaml")


def test_stdin():
    book, env, extra, rest, inv = run("-f", "-", "start")
    assert (book, env, inv.env_file) == (playbook("start"), "-", None)
    assert inv.argv[2:4] == ["-e", "env=-"]


def test_path_with_spaces_goes_as_json():
    inv = cli.translate(["-f", "my env.yaml"], cwd="/tmp", root=REPO, environ={})
    assert json.loads(inv.argv[3]) == {"env": "/tmp/my env.yaml"}


@pytest.mark.parametrize(
    "command,book",
    [
        ("status", "status"),
        ("start", "start"),
        ("stop", "stop"),
        ("kill", "kill"),
        ("restart", "restart"),
        ("clean", "clean"),
        ("pull", "pull"),
        ("deptree", "deps"),
    ],
)
def test_each_command_runs_its_playbook(command, book):
    assert run(command)[0] == playbook(book)


def test_names_alone_act_on_the_named_things_only():
    """MaestroNG: `maestro start kafka` starts kafka and only kafka."""
    assert run("start", "kafka", "zk-1")[2] == {"services": ["kafka", "zk-1"], "ignore_dependencies": True}


def test_with_dependencies():
    assert run("start", "-d", "kafka")[2] == {"services": ["kafka"], "ignore_dependencies": False}
    assert run("stop", "--with-dependencies", "zookeeper")[2] == {
        "services": ["zookeeper"],
        "ignore_dependencies": False,
    }


def test_ignore_dependencies():
    assert run("start", "-i", "kafka")[2] == {"services": ["kafka"], "ignore_dependencies": True}
    book, env, extra, rest, inv = run("start", "-d", "-i", "kafka")
    assert extra == {"services": ["kafka"], "ignore_dependencies": False}
    assert inv.notes and "-d with -i" in inv.notes[0]


def test_restart_options():
    book, env, extra, rest, inv = run(
        "restart", "-c", "1", "--only-if-changed", "--step-delay", "5", "--stop-start-delay", "2", "-r", "web"
    )
    assert extra == {
        "services": ["web"],
        "ignore_dependencies": True,
        "rolling": True,
        "concurrency": 1,
        "only_if_changed": True,
        "step_delay": 5.0,
        "stop_start_delay": 2.0,
        "refresh_images": True,
    }
    assert inv.notes == []
    assert "rolling" not in run("restart", "web")[2]


def test_concurrency_bounds_the_operations_at_once():
    book, env, extra, rest, inv = run("start", "-c", "2", "--ship-concurrency", "4")
    assert "rolling" not in extra and extra["concurrency"] == 2 and extra["ship_concurrency"] == 4
    assert inv.notes == []
    assert run("restart", "--concurrency", "3")[2]["concurrency"] == 3
    assert "concurrency" not in run("status", "-c", "3")[2]


def test_refresh_images_on_start():
    assert run("start", "--refresh-images")[2] == {"refresh_images": True, "ignore_dependencies": True}


def test_start_grace_on_start_and_restart():
    assert run("start", "--start-grace", "0.5")[2] == {"start_grace": 0.5, "ignore_dependencies": True}
    assert run("restart", "--start-grace", "1")[2]["start_grace"] == 1.0
    assert "start_grace" not in run("start")[2]
    assert run("start", "--reuse")[2] == {"ignore_dependencies": True}


def test_filters():
    assert run("status", "-S", "ship[12]")[2] == {"ships": ["ship[12]"], "ignore_dependencies": True}
    assert run("stop", "-C", "kafka-*")[2] == {"services": ["kafka-*"], "ignore_dependencies": True}
    with pytest.raises(cli.UsageError):
        cli.translate(["stop", "-C", "kafka-*", "web"], cwd="/", root=REPO, environ={})


def test_logs():
    book, env, extra, rest, inv = run("logs", "kafka-1")
    assert (book, extra) == (playbook("logs"), {"instance": "kafka-1", "tail": -1})
    assert run("logs", "kafka-1", "-n", "20", "-F")[2] == {"instance": "kafka-1", "tail": 20, "follow": True}


def test_deptree():
    assert run("deptree", "-r", "kafka")[2] == {"services": ["kafka"]}


def test_passthrough_after_double_dash():
    book, env, extra, rest, inv = run("-f", "e.yaml", "start", "web", "--", "--check", "--diff")
    assert extra["services"] == ["web"] and rest == ["--check", "--diff"]


def test_bad_arguments_exit_2(capsys):
    for argv in (["logs"], ["logs", "a", "b"], ["start", "-c", "many"], ["status", "--bogus"]):
        with pytest.raises(SystemExit) as info:
            cli.translate(argv, cwd="/", root=REPO, environ={})
        assert info.value.code == 2


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        cli.translate(["--version"], cwd="/", root=REPO, environ={})
    assert info.value.code == 0
    assert "maestro" in capsys.readouterr().out


@pytest.mark.skipif(
    not os.path.isdir(os.path.join(REPO, "collections")),
    reason="not a source checkout (no collections/), e.g. under ansible-test units",
)
def test_source_tree_sets_config_and_collections_path():
    inv = run("start")[4]
    assert inv.environ["ANSIBLE_CONFIG"] == os.path.join(REPO, "ansible.cfg")
    assert inv.environ["ANSIBLE_COLLECTIONS_PATH"].split(os.pathsep)[0] == os.path.join(REPO, "collections")
    # the user's own config is kept; their collections path stays after ours
    inv = run("start", environ={"ANSIBLE_CONFIG": "/etc/my.cfg", "ANSIBLE_COLLECTIONS_PATH": "/opt/cols"})[4]
    assert "ANSIBLE_CONFIG" not in inv.environ
    assert inv.environ["ANSIBLE_COLLECTIONS_PATH"] == os.pathsep.join([os.path.join(REPO, "collections"), "/opt/cols"])


def test_installed_collection_layout(tmp_path):
    root = tmp_path / "cols" / "ansible_collections" / "maestro" / "ng"
    (root / "playbooks").mkdir(parents=True)
    (root / "playbooks" / "start.yml").write_text("---\n")
    inv = cli.translate(["-f", "e.yaml", "start"], cwd=str(tmp_path), root=str(root), environ={})
    assert inv.argv[1] == str(root / "playbooks" / "start.yml")
    assert inv.environ == {
        "ANSIBLE_COLLECTIONS_PATH": os.pathsep.join(
            [str(tmp_path / "cols"), "~/.ansible/collections", "/usr/share/ansible/collections"]
        ),
        "ANSIBLE_STDOUT_CALLBACK": "maestro.ng.maestro",
    }
    # a callback the user chose is kept
    inv = cli.translate(
        ["-f", "e.yaml", "start"], cwd=str(tmp_path), root=str(root), environ={"ANSIBLE_STDOUT_CALLBACK": "json"}
    )
    assert "ANSIBLE_STDOUT_CALLBACK" not in inv.environ


def test_without_the_playbooks_beside_it_uses_the_installed_collection(tmp_path):
    """pip-installed: the package alone; the playbooks come from the maestro.ng collection."""
    inv = cli.translate(["-f", "e.yaml", "deptree"], cwd=str(tmp_path), root=str(tmp_path), environ={})
    assert inv.argv[1] == "maestro.ng.deps"
    assert inv.environ == {"ANSIBLE_STDOUT_CALLBACK": "maestro.ng.maestro"}


def test_the_command_has_the_collection_version():
    # `maestro --version`, pyproject.toml and galaxy.yml name one release.
    import yaml

    import maestro_cli

    with open(os.path.join(REPO, "galaxy.yml"), encoding="utf-8") as handle:
        version = yaml.safe_load(handle)["version"]
    with open(os.path.join(REPO, "pyproject.toml"), encoding="utf-8") as handle:
        assert 'version = "%s"' % version in handle.read()
    assert maestro_cli.__version__ == version


# ------------------------------------------------------------------ which path runs the command
@pytest.fixture
def paths(monkeypatch):
    """main()'s two paths recorded instead of run: [("engine", command, extra) | ("ansible", argv)]."""
    calls = []
    monkeypatch.setattr(
        cli.engine, "run", lambda args, extra, env_file: calls.append(("engine", args.command, extra)) or 0
    )
    monkeypatch.setattr(cli, "_via_ansible", lambda argv: calls.append(("ansible", argv)) or 0)
    return calls


def test_the_engine_runs_the_command_in_process(paths, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "maestro.yaml").write_text("name: x\n")
    assert cli.main(["start", "-d", "web"]) == 0
    assert cli.main([]) == 0
    assert paths == [
        ("engine", "start", {"services": ["web"], "ignore_dependencies": False}),
        ("engine", "status", {"ignore_dependencies": True}),
    ]


@pytest.mark.parametrize("argv", [["--via-ansible", "start"], ["start", "--", "--check"], ["--via-ansible"]])
def test_ansible_playbook_options_and_via_ansible_run_the_playbook(paths, argv):
    assert cli.main(argv) == 0
    assert paths == [("ansible", argv)]


def test_the_engine_path_checks_the_file_and_the_arguments(paths, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["status"]) == 1
    assert capsys.readouterr().err == "maestro: cannot read environment file %s: no such file\n" % (
        tmp_path / "maestro.yaml"
    )
    assert cli.main(["-f", "-", "stop", "-C", "web-*", "web"]) == 2
    assert "-C/--container-filter cannot be combined" in capsys.readouterr().err
    assert paths == []


def test_help_says_when_ansible_playbook_runs(capsys):
    with pytest.raises(SystemExit):
        cli.parse(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--via-ansible" in text and "Words after -- are passed to ansible-playbook" in text


def test_orchestrate_options_are_the_playbooks():
    from ansible_collections.maestro.ng.plugins.module_utils.action_specs import ORCHESTRATE_SPEC
    from maestro_cli import engine

    args = cli.parse(["restart", "web", "-c", "1", "--only-if-changed", "--step-delay", "2", "-r"])[0]
    options = engine.orchestrate_options("restart", cli.playbook_vars(args, []))
    assert set(options) == set(ORCHESTRATE_SPEC)
    assert {
        k: options[k]
        for k in (
            "state",
            "services",
            "ships",
            "with_dependencies",
            "rolling",
            "only_if_changed",
            "step_delay",
            "refresh_images",
            "keep_going",
            "plan",
            "lock_timeout",
        )
    } == {
        "state": "restarted",
        "services": ["web"],
        "ships": [],
        "with_dependencies": False,
        "rolling": True,
        "only_if_changed": True,
        "step_delay": 2,
        "refresh_images": True,
        "keep_going": False,
        "plan": None,
        "lock_timeout": 300,
    }
    assert engine.orchestrate_options("stop", {"ignore_dependencies": False})["with_dependencies"] is True


def test_maestrong_all_flag_is_accepted():
    # MaestroNG's stop and restart refuse to act on everything without -a.
    for command in ("stop", "kill", "restart"):
        assert run(command, "-a")[2] == run(command)[2]


def test_verbose_shows_a_line_per_instance_and_is_ansible_playbooks_v():
    assert run("--verbose", "start")[3] == ["-v"]
    assert "-v" not in run("start")[3]


def test_the_commands_output_shows_a_verbose_line_only_with_verbose():
    from ansible_collections.maestro.ng.plugins.module_utils.run.report import Line

    for verbosity, expected in ((0, "always\n"), (1, "always\n  web-1 on ship1: started\n")):
        out = io.StringIO()
        output = engine.Output(stdout=out, stderr=io.StringIO(), verbosity=verbosity)
        output.line(Line("always"))
        output.line(Line("  web-1 on ship1: started", verbosity=1))
        assert out.getvalue() == expected


# ------------------------------------------------------------------ the collection's own options, both paths
def test_check_and_diff_are_ansible_playbooks_flags_and_the_rest_its_variables():
    book, env, extra, rest, inv = run(
        "start", "--check", "--diff", "--plan", "p.json", "--keep-going", "--lock-timeout", "5", "--output", "json"
    )
    assert rest == ["--check", "--diff"]
    assert extra == {
        "plan": "p.json",
        "keep_going": True,
        "lock_timeout": 5.0,
        "output": "json",
        "ignore_dependencies": True,
    }
    assert run("stop", "--apply-plan", "p.json")[2]["apply_plan"] == "p.json"
    assert run("restart", "--rolling", "web")[2]["rolling"] is True
    assert run("pull", "--check")[3] == ["--check"]
    assert run("status", "-F", "-H")[2] == {"ports": True, "show_hosts": True, "ignore_dependencies": True}
    assert run("stop", "-s", "-a")[2] == run("stop")[2]  # MaestroNG's -s: names always expand


def collections_folder():
    """The folder holding the ansible_collections this test imports (the checkout's, or ansible-test's copy)."""
    import ansible_collections.maestro.ng as collection

    return os.path.dirname(os.path.dirname(os.path.dirname(list(collection.__path__)[0])))


def test_the_vault_options_are_ansible_playbooks_and_open_the_file_in_process(tmp_path):
    rest = run("start", "--vault-id", "prod@pw", "--vault-password-file", "pw", "-J")[3]
    assert rest == ["--vault-id", "prod@pw", "--vault-password-file", "pw", "--ask-vault-pass"]
    assert run("status", "--vault-pass-file", "pw")[3] == ["--vault-password-file", "pw"]
    assert run("status")[3] == []

    from ansible.parsing.vault import VaultLib, VaultSecret

    (tmp_path / "pw").write_text("the-password\n")
    lib = VaultLib([("default", VaultSecret(b"the-password"))])
    secret = lib.encrypt("clear-text", lib.secrets[0][1]).decode("ascii")
    engine.importable(None)
    args = cli.parse(["status", "--vault-password-file", str(tmp_path / "pw")])[0]
    assert engine.run_vault(args).decrypt(secret)[0] == "clear-text"
    # ANSIBLE_VAULT_PASSWORD_FILE, read where Ansible reads it (its constants, in a new process).
    script = (
        "import sys; from maestro_cli import cli, engine; engine.importable(sys.argv[1]); "
        "print(engine.run_vault(cli.parse(['status'])[0]).decrypt(sys.stdin.read())[0])"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, collections_folder()],
        input=secret,
        env=dict(os.environ, ANSIBLE_VAULT_PASSWORD_FILE=str(tmp_path / "pw"), PYTHONPATH=REPO),
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.stdout.strip() == "clear-text", proc.stderr


def test_the_run_options_reach_the_engine():
    from maestro_cli import engine

    args = cli.parse(["stop", "--keep-going", "--lock-timeout", "7", "--check", "--plan", "p.json"])[0]
    options = engine.orchestrate_options("stop", cli.playbook_vars(args, []))
    assert (options["keep_going"], options["lock_timeout"], options["plan"]) == (True, 7.0, "p.json")
    assert args.check and not args.diff


@pytest.mark.parametrize("command", ["status", "start", "restart", "dump", "complete"])
def test_each_commands_help_shows_examples(command, capsys):
    with pytest.raises(SystemExit):
        cli.parse([command, "--help"])
    help_text = capsys.readouterr().out
    assert "examples:\n  maestro -f demo.yaml %s" % ("" if command == "status" else command) in help_text


# ------------------------------------------------------------------ a word that is no command
ENV_FILE = """
name: words
ships: {ship1: {ip: 10.250.0.2}}
services:
  kafka:
    image: kafka:1
    instances: {kafka-1: {ship: ship1}, kafka-2: {ship: ship1}}
  web:
    image: web:1
    instances: {web-1: {ship: ship1}}
"""


def test_a_first_word_that_is_no_command_must_name_something(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "maestro.yaml").write_text(ENV_FILE)
    args = cli.parse(["kafka"])[0]
    assert (args.command, args.things, args.implicit) == ("status", ["kafka"], "kafka")
    assert cli.parse(["status", "kafka"])[0].implicit is None
    for argv in (["stat"], ["-f", "maestro.yaml", "stat"], ["--via-ansible", "stat"], ["-f", "missing.yaml", "x"]):
        with pytest.raises(SystemExit) as exit_info:
            cli.main(argv)
        assert exit_info.value.code == 2
        err = capsys.readouterr().err
        assert (
            err.startswith("usage: maestro ")
            and "argument COMMAND: invalid choice: %r (choose from 'status', 'start'" % argv[-1] in err
        ), err
        assert "'dump', 'complete'; or name a service or instance of" in err


# ------------------------------------------------------------------ dump and complete, in process
def test_dump_prints_the_instances_as_json(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "maestro.yaml").write_text(ENV_FILE)
    assert cli.main(["dump", "kafka-2"]) == 0
    assert list(json.loads(capsys.readouterr().out)["instances"]) == ["kafka-2"]
    assert cli.main(["dump", "-c"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert list(doc["instances"]) == ["kafka-1", "kafka-2", "web-1"] and doc["environment"]["name"] == "words"
    assert cli.main(["--via-ansible", "dump"]) == 0  # nothing to run a playbook for
    assert "kafka-1" in capsys.readouterr().out


@pytest.mark.parametrize(
    "line,expected",
    [
        ("maestro ", "clean complete deptree dump kill logs pull restart start status stop"),
        ("maestro st", "start status stop"),
        ("maestro start ", "kafka kafka-1 kafka-2 web web-1"),
        ("maestro -f maestro.yaml stop ka", "kafka kafka-1 kafka-2"),
        ("maestro start kafka w", "web web-1"),
        ("maestro start --re", "--refresh-images --rerun-oneshots --reuse"),
        ("maestro --v", "--verbose --version --via-ansible"),
        ("maestro -f ", ""),  # a file name: the shell's own completion
        ("maestro start --plan ", ""),
        ("maestro -f other.yaml start ", ""),  # no such file: no names
        ("maestro complete ", ""),
    ],
)
def test_complete_gives_the_words_that_complete_the_line(line, expected, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "maestro.yaml").write_text(ENV_FILE)
    assert cli.main(["complete", line]) == 0  # MaestroNG's form: the line as one string
    assert capsys.readouterr().out == expected + "\n"
    assert cli.main(["complete"] + line.split(" ")) == 0  # the shells' form: one word each
    assert capsys.readouterr().out == expected + "\n"


# ------------------------------------------------------------------ the shell completion the README shows
def snippet(shell):
    """The README's lines for ``shell``: those after its comment, up to the next comment or the block's end."""
    with open(os.path.join(REPO, "README.md"), encoding="utf-8") as handle:
        text = handle.read()
    block = re.search(r"^# %s \(.*?\)\n(.*?)(?=^#|^```)" % shell, text, re.M | re.S)
    assert block, "README.md shows no %s completion setup" % shell
    return block.group(1)


def complete_in(shell, script, tmp_path):
    (tmp_path / "maestro.yaml").write_text(ENV_FILE)
    command = "%s -m maestro_cli" % sys.executable
    proc = subprocess.run(
        [shell, "-c", 'maestro() { %s "$@"; }\n%s' % (command, script)],
        cwd=str(tmp_path),
        env=dict(os.environ, PYTHONPATH=REPO),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.split()


def test_bash_completes_commands_options_and_names(tmp_path):
    setup = snippet("bash")
    for words, expected in (
        (["maestro", "st"], ["start", "status", "stop"]),
        (["maestro", "start", "ka"], ["kafka", "kafka-1", "kafka-2"]),
        (["maestro", "status", "-H", "--sh"], ["--ship-filter", "--show-hosts"]),
    ):
        script = setup + 'COMP_WORDS=(%s); COMP_CWORD=%d; _maestro; echo "${COMPREPLY[@]}"' % (
            " ".join("'%s'" % word for word in words),
            len(words) - 1,
        )
        assert complete_in("bash", script, tmp_path) == expected
    assert "complete -o default -F _maestro maestro" in setup  # file names where maestro completes none
