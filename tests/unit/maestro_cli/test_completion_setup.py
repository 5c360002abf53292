"""The shell completion the README shows, run by the shell: the snippet is read from README.md."""

import os
import re
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
ENV_FILE = """
name: words
ships: {ship1: {ip: 10.250.0.2}}
services:
  kafka:
    image: kafka:1
    instances: {kafka-1: {ship: ship1}, kafka-2: {ship: ship1}}
"""


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
