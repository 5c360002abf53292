# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lines a user reads: the summary of a command, of a status, and their tones.

A tone (``ok``, ``changed``, ``failed``, ``skipped``, ``drift``, ``down``) says how a
line or a cell reads; the controller maps tones to Ansible's configured colours
(plugins/plugin_utils/output.py), so nothing here knows about terminals.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, NamedTuple, Optional

from ..command_specs import COMMANDS
from ..docker.client import short_id

if TYPE_CHECKING:
    from ..model.environment import Environment
    from ..model.schedule import Step
    from ..records import InstanceResult, RunResult, StatusRow


class Tone(NamedTuple):
    setting: str  # the colour setting of Ansible's [colors] that the plugins paint a tone with
    ansi: str  # its default, as an ANSI code: what the maestro command (without Ansible) paints with


# How each tone is coloured: as Ansible colours ok, changed, failed and skipped tasks, a warning and an
# unreachable host.
TONES = {
    "ok": Tone("COLOR_OK", "0;32"),
    "changed": Tone("COLOR_CHANGED", "0;33"),
    "failed": Tone("COLOR_ERROR", "0;31"),
    "skipped": Tone("COLOR_SKIP", "0;36"),
    "drift": Tone("COLOR_WARN", "0;35"),
    "down": Tone("COLOR_UNREACHABLE", "1;31"),
}
# The order outcomes are listed in a summary line.
OUTCOMES = (
    "created",
    "recreated",
    "started",
    "restarted",
    "stopped",
    "killed",
    "removed",
    "pulled",
    "changed",
    "unchanged",
    "skipped",
    "failed",
)
# A container's actions ("create", also check mode's "would create") in the past tense ("created").
ACTION_PAST = {
    "create": "created",
    "start": "started",
    "stop": "stopped",
    "kill": "killed",
    "remove": "removed",
    "pull": "pulled",
}
# Docker states of a container that exists but does not run.
STOPPED_STATES = ("exited", "created", "paused", "restarting", "removing")


class Line(str):
    """A progress line that also carries its tone, and the verbosity from which it shows (0: always;
    1: with -v); it still is the plain text."""

    def __new__(cls, text, tone=None, verbosity=0):
        line = super().__new__(cls, text)
        line.tone = tone
        line.verbosity = verbosity
        return line


# How status shows a oneshot's container that exited (run/status.py): done (exit 0, ...) or failed (exit N, ...).
ONESHOT_DONE, ONESHOT_FAILED = "done", "failed"
# How status shows a named port tried from the controller (run/ports.py), or why it was not tried.
PORT_UP, PORT_DOWN = "up", "down"
PORT_NOT_TRIED = (PORT_UDP, PORT_LOCAL_ONLY) = ("udp, not checked", "bound to the ship's loopback, not checked")


def oneshot_word(row: StatusRow) -> Optional[str]:
    """ONESHOT_DONE or ONESHOT_FAILED for a status row of a oneshot's exited container, else None."""
    return next((word for word in (ONESHOT_DONE, ONESHOT_FAILED) if row["status"].startswith(word + " (")), None)


def tone_of(results: Iterable[InstanceResult]) -> str:
    """The tone of a step or of a whole run."""
    if any(r["failed"] for r in results):
        return "failed"
    if any(r.get("kept_going") for r in results):
        return "skipped"
    if any(r["changed"] for r in results):
        return "changed"
    return "ok"


def outcome(result: InstanceResult) -> str:
    """What happened to one instance, as one word of OUTCOMES."""
    if result["failed"]:
        return "failed"
    if result.get("skipped"):
        return "skipped"
    if not result["changed"]:
        return "unchanged"
    done = set()
    for action in result.get("actions") or []:
        if action.startswith("would "):  # check mode
            action = action[len("would ") :]
        word = action.split(" ", 1)[0]
        done.add(ACTION_PAST.get(word, word))
    if "created" in done:
        return "recreated" if "removed" in done or result.get("reasons") else "created"
    if "stopped" in done and "started" in done:
        return "restarted"
    for word in ("removed", "killed", "started", "stopped", "pulled"):
        if word in done:
            return word
    return "changed"


def plural(count: int, word: str) -> str:
    return "%d %s%s" % (count, word, "" if count == 1 else "s")


def summary_line(
    command: str, results: list[InstanceResult], seconds: float, ships: set[str], check_mode: bool = False
) -> Line:
    """``start: 9 instances on 3 ships: 6 created, 3 unchanged in 2.1s`` (a Line)."""
    counts: dict[str, int] = {}
    for result in results:
        word = outcome(result)
        counts[word] = counts.get(word, 0) + 1
    parts = []
    for word in OUTCOMES:
        if counts.get(word):
            if check_mode and word not in ("unchanged", "skipped", "failed"):
                parts.append("%d would be %s" % (counts[word], word))
            else:
                parts.append("%d %s" % (counts[word], word))
    name = (COMMANDS[command].word if command in COMMANDS else command) + (" (check mode)" if check_mode else "")
    text = "%s: %s on %s: %s in %.1fs" % (
        name,
        plural(len(results), "instance"),
        plural(len(ships), "ship"),
        ", ".join(parts) or "nothing selected",
        seconds,
    )
    return Line(text, tone_of(results))


def run_summary(
    command: str,
    results: list[InstanceResult],
    seconds: float,
    check_mode: bool = False,
    interrupted: Optional[str] = None,
) -> RunResult:
    """A command's result: its counts, its summary line and, when it is not a success (a failure, an
    interrupt, keep_going's skips), one message saying why."""
    failed = [r for r in results if r["failed"]]
    changed = [r for r in results if r["changed"]]
    summary: RunResult = {
        "changed": bool(changed),
        "failed": bool(failed),
        "command": command,
        "instances": results,
        "counts": {
            "total": len(results),
            "changed": len(changed),
            "failed": len(failed),
            "skipped": sum(1 for r in results if r.get("skipped")),
        },
        "seconds": round(seconds, 3),
        "summary": str(summary_line(command, results, seconds, {r["ship"] for r in results}, check_mode)),
    }
    kept = [r for r in results if r.get("kept_going")]
    messages = list(dict.fromkeys(r["msg"] for r in failed))  # a lost ship's line once, not once per instance
    if interrupted:
        # Not a success: say what was done, and that a rerun converges the rest.
        summary["failed"] = True
        summary["interrupted"] = interrupted
        not_run = [r for r in results if (r.get("msg") or "").startswith("not run: interrupted")]
        messages.insert(
            0,
            "interrupted (%s), done so far: %s; not run: %s; the same command again converges the rest"
            % (
                interrupted,
                summary["summary"],
                ", ".join(r["instance"] for r in not_run[:10]) + (", ..." if len(not_run) > 10 else "") or "none",
            ),
        )
    if kept:
        # keep_going: the rest converged, but the run is not a success.
        summary["failed"] = True
        summary["skipped_instances"] = [
            {"instance": r["instance"], "ship": r["ship"], "why": r["msg"][len("skipped: ") :]} for r in kept
        ]
        messages.append(
            "%d skipped (keep_going): %s"
            % (len(kept), "; ".join("%s: %s" % (k["instance"], k["why"]) for k in summary["skipped_instances"]))
        )
    if messages:
        summary["msg"] = "; ".join(messages)
    return summary


def step_start_line(env: Environment, step: Step, names: list[str], doing: str) -> str:
    """Before a step works: "SERVICE: DOING K instances on SHIPS ..."."""
    ships = sorted({env.instances[n]["ship"] for n in names})
    return "%s: %s %s on %s ..." % (step.service, doing, plural(len(names), "instance"), ", ".join(ships))


def step_end_lines(
    step: Step, results: list[InstanceResult], past: str, seconds: float, check_mode: bool = False
) -> list[str]:
    """After a step: what it did (toned), then a line per instance skipped by keep_going, raced by
    another run, or recreated (with its drift reasons); with -v, a line per instance."""
    ok = [r for r in results if not r["failed"] and not r.get("skipped")]
    changed = [r for r in ok if r["changed"]]
    verb = "would be " + past if check_mode else past
    if changed:
        what = "%d/%d %s" % (len(changed), len(results), verb)
    else:
        what = "%d/%d ok, nothing to do" % (len(ok), len(results))
    line = "%s: %s in %.1fs" % (step.service, what, seconds)
    failed = [r for r in results if r["failed"]]
    if failed:
        line += ", %d failed" % len(failed)
    skipped = [r for r in results if r.get("kept_going")]
    if skipped:
        line += ", %d skipped" % len(skipped)
    lines: list[str] = [Line(line, tone_of(results))]
    lines += ["  %s on %s: %s" % (r["instance"], r["ship"], r["msg"]) for r in skipped]
    # Another run changed the same container meanwhile: what it did, and where we are.
    lines += [
        "  %s on %s: %s; converged from what is there (now %s)"
        % (
            r["instance"],
            r["ship"],
            ", then ".join(r["raced"]),
            r["container"]["state"] if "container" in r else None,
        )
        for r in results
        if r.get("raced")
    ]
    # Why a container was (or would be) replaced, and how that went.
    lines += [replacement_line(r, check_mode) for r in results if r.get("reasons")]
    # The rest of a rollout that stopped.
    lines += [
        "  %s on %s: %s" % (r["instance"], r["ship"], r["msg"])
        for r in results
        if r.get("skipped") and not r.get("kept_going") and "the rollout of" in (r.get("msg") or "")
    ]
    # -v: every instance, and what was done to it.
    lines += [
        Line(
            "  %s on %s: %s" % (r["instance"], r["ship"], ", ".join(r.get("actions") or ()) or outcome(r)),
            tone_of([r]),
            verbosity=1,
        )
        for r in results
    ]
    return lines


def replacement_line(result: InstanceResult, check_mode: bool = False) -> str:
    """``  web-1 on ship1: recreated: env.X changed (kept the volumes at /data)``, or how it was rolled back."""
    where = "  %s on %s: " % (result["instance"], result["ship"])
    reasons = "; ".join(result["reasons"])
    kept = ""
    if result.get("kept"):
        kept = " (%s the volumes at %s)" % ("would keep" if check_mode else "kept", ", ".join(result["kept"]))
    if result.get("rolled_back"):
        return where + "replacing it (%s) failed; rolled back to its previous container %s" % (
            reasons,
            short_id(result["rolled_back"]),
        )
    return where + "%s: %s%s" % ("would be recreated" if check_mode else "recreated", reasons, kept)


def state_tone(row: StatusRow) -> str:
    """The tone of a status row's state: running (or a oneshot done) ok, stopped changed, absent (or a oneshot
    failed) failed, ship down down."""
    if row["status"] == "host down":
        return "down"
    oneshot = oneshot_word(row)
    if row["state"] == "running" or oneshot == ONESHOT_DONE:
        return "ok"
    if oneshot == ONESHOT_FAILED:
        return "failed"
    if row["state"] in STOPPED_STATES:
        return "changed"
    return "failed"  # absent, dead


def drift_tone(row: StatusRow) -> Optional[str]:
    """ok when the container matches the file, drift when not, None when there is none."""
    drift = row.get("drift")
    if drift is None:
        return None
    return "drift" if drift else "ok"


def status_summary(rows: list[StatusRow], seconds: float) -> Line:
    """``status: 9 instances on 3 ships: 7 running, 1 stopped, 1 absent; 1 drifted in 0.2s``."""
    words = {"ok": "running", "changed": "stopped", "down": "on a ship down"}
    counts: dict[str, int] = {}
    for row in rows:
        word = oneshot_word(row) or words.get(state_tone(row), row["state"])
        counts[word] = counts.get(word, 0) + 1
    order = ["running", ONESHOT_DONE, "stopped", "absent"] + sorted(
        set(counts) - set(words.values()) - {"absent", ONESHOT_DONE}
    )
    parts = ["%d %s" % (counts[word], word) for word in order + ["on a ship down"] if word in counts]
    text = "status: %s on %s: %s" % (
        plural(len(rows), "instance"),
        plural(len({r["ship"] for r in rows}), "ship"),
        ", ".join(parts) or "nothing selected",
    )
    drifted = sum(1 for row in rows if row.get("drift"))
    if drifted:
        text += "; %d drifted" % drifted
    rolled_back = sum(1 for row in rows if row.get("rolled_back"))
    if rolled_back:
        text += "; %d rolled back" % rolled_back
    return Line(text + " in %.1fs" % seconds, status_tone(rows))


def status_tone(rows: list[StatusRow]) -> str:
    """failed when a ship is down, changed when anything is not running, drifted or rolled back, else ok."""
    tones = {state_tone(row) for row in rows}
    if "down" in tones:
        return "failed"
    if tones - {"ok"} or any(row.get("drift") or row.get("rolled_back") for row in rows):
        return "changed"
    return "ok"


def ports_cell(row: StatusRow) -> tuple[str, Optional[str]]:
    """The ports of a status row, each with its state when they were tried (``port_states``),
    and the cell's tone: ok when all that were tried are up, failed when one is down."""
    states = row.get("port_states")
    if states is None:
        return " ".join(row["ports"]) or "-", None
    texts = ["%s %s" % (text, states[text.split(":", 1)[0]]) for text in row["ports"]]
    tried = [state for state in states.values() if state not in PORT_NOT_TRIED]
    tone = None if not tried else "ok" if all(state.startswith(PORT_UP) for state in tried) else "failed"
    return ", ".join(texts) or "-", tone


def status_table(
    rows: list[StatusRow], paint: Optional[Callable[[str, Optional[str]], str]] = None, hosts: bool = False
) -> str:
    """Aligned text table (the `status` playbook prints it).

    paint(text, tone): colours the state, ports and drift cells (report.state_tone, ports_cell,
    drift_tone); the padding stays outside the colour codes, so the columns stay aligned.
    hosts: each ship's address instead of its name (MaestroNG's ``status -H``).
    """
    header = ("SERVICE", "INSTANCE", "HOST" if hosts else "SHIP", "IMAGE", "STATE", "PORTS", "DRIFT")
    lines: list[tuple[tuple[str, ...], tuple[Optional[str], ...]]] = [(header, (None,) * len(header))]
    for row in rows:
        image = row["image"].rsplit("/", 1)[-1]
        if row["image_id"]:
            image += "@" + row["image_id"]
        state = row["status"] if row["state"] != "absent" else "absent"
        if row.get("rolled_back"):
            state += ", last change rolled back"
        reasons = row.get("drift")
        drift = "-" if reasons is None else ", ".join(reasons) or "ok"
        ports, ports_tone = ports_cell(row)
        ship = row["ship_ip"] if hosts else row["ship"]
        lines.append(
            (
                (row["service"], row["instance"], ship, image, state, ports, drift),
                (None, None, None, None, state_tone(row), ports_tone, drift_tone(row)),
            )
        )
    widths = [max(len(cells[i]) for cells, _tones in lines) for i in range(len(header) - 1)] + [0]

    def cell(text, tone, width):
        shown = paint(text, tone) if paint and tone else text
        return shown + " " * (width - len(text))

    return "\n".join(
        "  ".join(cell(text, tone, width) for text, tone, width in zip(cells, tones, widths)).rstrip()
        for cells, tones in lines
    )


# Keys of a task's result that are Ansible's, not the command's (left out of its JSON document).
NOT_DATA = ("invocation", "diff", "warnings", "deprecations", "exception")


def result_document(result: Mapping[str, Any], failed: bool) -> dict[str, Any]:
    """What ``output=json`` prints of an orchestrating command's result (the stdout callback of a
    playbook task, the ``maestro`` command of its run): the result without Ansible's keys."""
    doc = {key: value for key, value in result.items() if not key.startswith("_ansible") and key not in NOT_DATA}
    doc.update(changed=bool(result.get("changed")), failed=failed)
    return doc


# How a diff line reads, by its first character: Ansible's diff colours (added green, removed red, @@ cyan).
DIFF_TONES = {"+": "ok", "-": "failed", "@": "skipped"}


def diff_lines(entries: list[dict], result_format: str = "yaml", context: int = 3) -> list[Line]:
    """The lines Ansible's stdout callback prints for a task's ``diff`` (each entry's before and
    after as a unified diff, with a blank line after each), for the ``maestro`` command to print
    what ``--diff`` shows the playbooks: ``result_format`` yaml or json, as Ansible's
    callback_result_format, and ``context`` lines, as its [diff] context."""
    import difflib

    lines: list[Line] = []
    for entry in entries:
        before, after = (_diff_text(entry[side], result_format) for side in ("before", "after"))
        found = list(
            difflib.unified_diff(
                before.splitlines(True),
                after.splitlines(True),
                fromfile="before: %s" % entry["before_header"],
                tofile="after: %s" % entry["after_header"],
                fromfiledate="",
                tofiledate="",
                n=context,
            )
        )
        lines += [Line(text.rstrip("\n"), DIFF_TONES.get(text[:1])) for text in found]
        if found:
            lines.append(Line(""))
    return lines


def _diff_text(data, result_format):
    """One side of a diff as Ansible's callback serialises a mapping (CallbackBase._serialize_diff)."""
    if result_format == "json":
        import json

        return json.dumps(data, sort_keys=True, indent=4, separators=(",", ": ")) + "\n"
    import textwrap

    import yaml

    return "%s\n" % textwrap.indent(
        yaml.dump(data, allow_unicode=True, Dumper=_diff_dumper(), default_flow_style=False, indent=4), "    "
    )


def _block_str(dumper, data):
    # Multi-line strings as blocks, as Ansible's callback dumper writes them.
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|" if "\n" in data else None)


@functools.lru_cache(maxsize=None)
def _diff_dumper():
    import yaml

    class DiffDumper(yaml.SafeDumper):
        def ignore_aliases(self, data):
            return True

    DiffDumper.add_representer(str, _block_str)
    return DiffDumper
