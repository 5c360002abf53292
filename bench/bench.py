# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Speed of the command playbooks against a Docker-SDK floor (not a test): ``make bench``.

On the lab's ships 7..9 (tests/integration/helpers/lab.py, ``Lab(first=7)``, so it never meets the
test workers' ships 1..6), ships 41..52 for the 12-ship one and 205..244 for the 40-ship one, it
writes these environments (bench/envs.py):

    small    3 ships,   9 containers, 3 levels
    large    3 ships,  60 containers, 4 levels (6/12/18/24)
    uneven   3 ships,  15 containers: slowdb (3, a 5 s sleep check) and a chain c1..c5 (2 each),
             app (2) requiring both; dependency-driven floor (floor.py up --by-dependency)
    many    12 ships, 240 containers, 5 levels (24/36/48/60/72)
    xxl     40 ships, 800 containers, 5 levels (80/120/160/200/240); only with --only xxl, and
             without the playbooks (the maestro command, the floor and MaestroNG)

and, starting every run from an empty lab, times five steps as whole processes:

    start (cold), start (no-op), status, stop, clean

for our playbooks (``ansible-playbook playbooks/<step>.yml -e env=FILE``, ANSIBLE_CONFIG =
the repository's ansible.cfg), for the ``maestro`` command (``python -m maestro_cli -f FILE
<command>``: the same engine in its own process, no ansible-playbook), for ``bench/floor.py``
(the same work with the docker SDK alone) and, given ``--maestrong BIN`` (MaestroNG 0.8.3's
``maestro`` from a side venv: ``pip install maestro-ng==0.8.3``), for MaestroNG itself.
Runs alternate between the tools (and which goes first). After every step the
ships are listed and the state checked (all running on the right ships / the same
containers still running / all stopped / none left) and the exit code must be 0, so a
fast wrong answer fails the benchmark instead of winning it.

On the large and many environments it also times playbooks/site.yml over the inventory plugin's ship
hosts (``ansible-playbook -i FILE playbooks/site.yml``) against start.yml, cold starts from an empty lab
and then a no-op start of each, alternating which goes first, with the ``maestro`` command's no-op
(targets: large, cold start within 1.10x and no-op within 1.5x of start.yml's; many, cold start within
1.10x and a no-op under 3 s). On the large environment it also times a rollout: the same environment
with one value changed in every service, started over a running one by the ``maestro`` command at the
default batch (one instance of a service at a time) and at 100%, against the floor's stop+remove and
create+start of every container (``floor.py down``, then ``up``); target: at 100% within 1.15x of it.
On the small environment it times ``maestro start --check --diff`` against ``maestro status`` (and
start.yml --check --diff), on an empty lab and with a setting changed over a running environment;
target: check at most 2x status.

Prints medians, min-max and ratios ours/floor, the targets, and writes the raw numbers to
bench/results/<time>.json. With the small environment it also times bench/empty.yml (one task,
no Docker) as ours are run: Ansible's own start-up, which bounds the playbooks from below; it
prints the playbooks' own overhead net of it (playbook - floor - empty playbook).

    bench.py [--runs-small 5] [--runs-large 3] [--runs-uneven 3] [--runs-many 3] [--runs-xxl 2]
             [--runs-site 3] [--runs-rollout 3] [--runs-check 5]
             [--only small|large|uneven|many|xxl|site|rollout|check]
             [--maestrong BIN] [-v]
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
PYTHON = os.path.join(REPO, ".venv", "bin", "python")
ANSIBLE_PLAYBOOK = os.path.join(REPO, ".venv", "bin", "ansible-playbook")
sys.path.insert(0, HERE)
sys.path.append(os.path.join(REPO, "tests", "integration"))  # helpers/lab.py (bench/envs.py is not the tests' envs.py)

import envs  # noqa: E402
from helpers.lab import Lab  # noqa: E402

# Ship numbers no test uses: the workers' 1..6 (and 60*S+1.. for MAESTRO_LAB_SLOT=S), the many-ships
# test's 10..21 (60*S+10..60*S+24), the matrix's 30..35, the TLS ship 40, test_lab_playbook's 57..59.
# xxl's 205..244 stay clear of slots 0..3 (100..139 would meet slot 2's 121..144).
FIRST_SHIP = {"small": 7, "large": 7, "uneven": 7, "many": 41, "xxl": 205}
SHIPS = {"small": 3, "large": 3, "uneven": 3, "many": 12, "xxl": 40}
DEFAULT_SIZES = ["small", "large", "uneven", "many"]  # xxl only with --only xxl
STEPS = ["start", "noop", "status", "stop", "clean"]
STEP_TITLES = {"start": "cold start", "noop": "no-op start", "status": "status", "stop": "stop", "clean": "clean"}
PLAYBOOK = {"start": "start", "noop": "start", "status": "status", "stop": "stop", "clean": "clean"}
COMMAND = PLAYBOOK  # the maestro command's (and MaestroNG's) word for each step
FLOOR_CMD = {"start": "up", "noop": "up", "status": "status", "stop": "stop", "clean": "clean"}
# The floor's options per size and step: uneven's floor is the dependency-driven one (with the
# running checks); its "floor by level" (an extra column) goes level by level, running the checks.
# On xxl a level's 240 creates at once keep 40 daemons on 2 cores busy past the floor's default
# 60 s per API call: 300 s, as the xxl file's ship timeout (envs.SHIP_TIMEOUT).
FLOOR_OPTIONS = {
    "uneven": {"start": ["--by-dependency"], "noop": ["--by-dependency"], "stop": ["--by-dependency"]},
    "xxl": {step: ["--timeout", "300"] for step in ("start", "noop", "status", "stop", "clean")},
}
FLOOR_LEVEL_OPTIONS = {"start": ["--checks"], "noop": ["--checks"]}
TARGETS = {  # (what, limit) per size
    "small": {"start": 1.35, "noop": 0.50, "stop": 1.50, "status": 2.0},
    "large": {"start": 1.10, "noop": 0.15, "stop": 1.20, "status": 2.5},
    "many": {"start": 1.05, "noop": 1.47, "status": 1.25},
    # ("maestro", s): at most s seconds more than the maestro command's own median
    "uneven": {"start": ("maestro", 0.60)},
    "xxl": {},
}
# Steps whose target is in seconds (MaestroNG 0.8.3's own time on the 12-ship environment:
# no-op start 1.47 s, status 1.25 s), not a ratio.
ABSOLUTE = {"many": {"noop", "status"}}
# The maestro command's targets: a ratio to the floor, "maestrong": faster than MaestroNG 0.8.3,
# ("maestrong", r): at most r x MaestroNG 0.8.3's median, ("seconds", s): under s seconds; or a
# list of these (all must be met).
COMMAND_TARGETS = {
    "small": {"start": 1.15, "noop": "maestrong", "status": "maestrong"},
    "large": {"start": 1.05, "noop": "maestrong", "status": "maestrong"},
    "uneven": {"start": [1.10, ("maestrong", 0.90)], "noop": "maestrong", "status": "maestrong"},
    "many": {"start": 1.05, "noop": "maestrong", "status": "maestrong"},
    "xxl": {"start": 1.10, "noop": ("seconds", 2.0), "status": ("seconds", 2.0)},
}
# The playbooks' own overhead on the small environment, net of the floor and of an empty
# playbook (Ansible's start-up): at most these seconds.
NET_TARGETS = {"start": 0.25, "status": 0.15}
TOOLS = ("ours", "maestro", "floor")  # "maestrong" too with --maestrong
EXTRA_TOOLS = {"uneven": ("floorlevel",)}  # more tools for a size
NO_PLAYBOOKS = {"xxl"}  # sizes without the playbooks (the maestro command runs the same engine)
TOOL_TITLES = {
    "ours": "playbooks",
    "maestro": "maestro",
    "maestrong": "MaestroNG 0.8.3",
    "floor": "floor",
    "floorlevel": "floor by level",
}
COLUMNS = ("ours", "maestro", "floor", "floorlevel", "maestrong")  # the table's order
MAESTRONG = None  # --maestrong BIN
# site.yml's cold start and no-op against start.yml's (a ratio), or in seconds (True).
SITE_TARGETS = {
    "large": {"cold": (1.10, False), "noop": (1.5, False)},
    "many": {"cold": (1.10, False), "noop": (3.0, True)},
}
ROLLOUT_TARGET = 1.15  # the maestro command's rollout at 100% / the floor's down + up, large environment
ROLLOUTS = ("maestro, default batch", "maestro, 100%", "floor, down + up")
CHECK_TARGET = 2.0  # maestro start --check --diff / maestro status, small environment
CHECKS = ("maestro start --check --diff", "maestro status", "start.yml --check --diff")


class WrongState(AssertionError):
    pass


def tools_for(size, maestrong):
    """The tools timed on ``size``, in the order the first run takes them."""
    tools = tuple(t for t in TOOLS if not (t == "ours" and size in NO_PLAYBOOKS))
    return tools + EXTRA_TOOLS.get(size, ()) + (("maestrong",) if maestrong else ())


def argv_for(tool, step, env_path, size=None):
    if tool == "ours":
        return [ANSIBLE_PLAYBOOK, "playbooks/%s.yml" % PLAYBOOK[step], "-e", "env=%s" % env_path]
    if tool == "maestro":
        return [PYTHON, "-m", "maestro_cli", "-f", env_path, COMMAND[step]]
    if tool == "maestrong":  # its stop wants -a to act on everything
        return [MAESTRONG, "-f", env_path, COMMAND[step]] + (["-a"] if step == "stop" else [])
    options = FLOOR_LEVEL_OPTIONS if tool == "floorlevel" else FLOOR_OPTIONS.get(size, {})
    return [PYTHON, os.path.join(HERE, "floor.py"), env_path, FLOOR_CMD[step]] + options.get(step, [])


def run_env():
    env = dict(
        os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_NOCOLOR="1", PYTHONWARNINGS="ignore"
    )
    # A caller's callbacks or verbosity would change what is measured.
    for key in (
        "ANSIBLE_CALLBACKS_ENABLED",
        "ANSIBLE_CALLBACK_PLUGINS",
        "ANSIBLE_VERBOSITY",
        "ANSIBLE_STDOUT_CALLBACK",
    ):
        env.pop(key, None)
    return env


def timed(argv):
    t0 = time.perf_counter()
    proc = subprocess.run(
        argv,
        cwd=REPO,
        env=run_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise WrongState("%s failed (exit %d):\n%s" % (" ".join(argv), proc.returncode, proc.stdout[-3000:]))
    return seconds, proc.stdout


def ships_state(lab):
    """{container name: (ship name, id, state)} over the lab's ships."""

    def one(k):
        api = lab.client(k, timeout=30)
        return [
            (n.lstrip("/"), (lab.ships[k - 1]["name"], c["Id"], c["State"]))
            for c in api.containers(all=True)
            for n in c.get("Names") or []
        ]

    with ThreadPoolExecutor(len(lab.ships)) as pool:
        return dict(item for lst in pool.map(one, range(1, len(lab.ships) + 1)) for item in lst)


def check(step, expected, found, before, output):
    """Raise WrongState unless ``found`` is what ``step`` must leave."""
    if step in ("start", "noop", "status", "stop"):
        want = "running" if step != "stop" else "exited"
        missing = sorted(set(expected) - set(found))
        extra = sorted(set(found) - set(expected))
        wrong = sorted(n for n in expected if n in found and (found[n][0] != expected[n] or found[n][2] != want))
        if missing or extra or wrong:
            raise WrongState(
                "after %s: missing %s, extra %s, wrong ship/state %s"
                % (step, missing[:5], extra[:5], ["%s=%s" % (n, found[n][:3:2]) for n in wrong[:5]])
            )
        if step in ("noop", "status", "stop") and before is not None:
            changed = sorted(n for n in expected if found[n][1] != before[n][1])
            if changed:
                raise WrongState("after %s: containers replaced: %s" % (step, changed[:5]))
        if step == "status":
            absent = [n for n in expected if n not in output]
            if absent:
                raise WrongState("status output does not name %s" % absent[:5])
    elif step == "clean" and found:
        raise WrongState("after clean: left %s" % sorted(found)[:5])


def one_run(lab, tool, size, env_path, expected, verbose):
    lab.reset()
    if ships_state(lab):
        raise WrongState("lab not empty after reset")
    times = {}
    before = None
    for step in STEPS:
        seconds, output = timed(argv_for(tool, step, env_path, size))
        found = ships_state(lab)
        check(step, expected, found, before, output)
        if step == "start":
            before = found
        times[step] = seconds
    if verbose:
        print("  %-5s %-5s %s" % (size, tool, "  ".join("%s %.2f" % (s, times[s]) for s in STEPS)), flush=True)
    return times


def site_runs(lab, env_path, expected, runs, verbose, size):
    """Cold starts of ``size`` by start.yml and by site.yml (the inventory's ship hosts), alternating which
    goes first, each followed by a no-op start of the same playbook, and the maestro command's no-op start
    after it; each checked like the bench's start step (a no-op: the same containers still running)."""
    argv = {
        "start.yml": argv_for("ours", "start", env_path),
        "site.yml": [ANSIBLE_PLAYBOOK, "-i", env_path, "playbooks/site.yml"],
        "maestro": argv_for("maestro", "start", env_path),
    }
    times = {how: {"cold": [], "noop": []} for how in argv}
    for i in range(runs):
        for how in ("start.yml", "site.yml") if i % 2 == 0 else ("site.yml", "start.yml"):
            lab.reset()
            for step, tool in (("cold", how), ("noop", how), ("noop", "maestro")):
                if step == "noop" and tool == "maestro" and how != "site.yml":
                    continue  # once per round
                before = ships_state(lab)
                seconds, output = timed(argv[tool])
                check("start" if step == "cold" else "noop", expected, ships_state(lab), before, output)
                times[tool][step].append(seconds)
                if verbose:
                    print("  %s %-9s %-4s %.2f" % (size, tool, step, seconds), flush=True)
    return times


def site_table(site):
    if not site:
        return ""
    lines = [
        "",
        "site.yml over the inventory vs start.yml and the maestro command - seconds, median (min-max)",
        "| environment | step | start.yml | site.yml | maestro | site/start | target |",
        "|---|---|---|---|---|---|---|",
    ]
    for size, times in site.items():
        for step in ("cold", "noop"):
            ratio = statistics.median(times["site.yml"][step]) / statistics.median(times["start.yml"][step])
            target, absolute = SITE_TARGETS[size][step]
            value = statistics.median(times["site.yml"][step]) if absolute else ratio
            met = "met" if value <= target else "NOT met"
            lines.append(
                "| %s | %s | %s | %s | %s | %.2f | %s %s: %s |"
                % (
                    size,
                    "cold start" if step == "cold" else "no-op",
                    fmt(times["start.yml"][step]),
                    fmt(times["site.yml"][step]),
                    fmt(times["maestro"][step]) if times["maestro"][step] else "",
                    ratio,
                    "site.yml <=" if absolute else "<=",
                    ("%.1f s" % target) if absolute else ("%.2f" % target),
                    met,
                )
            )
    return "\n".join(lines)


def changed(model):
    """``model`` with one value changed in every service: each of its containers drifts."""
    result = json.loads(json.dumps(model))
    for service in result["services"].values():
        service.setdefault("env", {})["BENCH_ROUND"] = "2"
    return result


def rollout_runs(lab, env_path, changed_path, expected, runs, verbose):
    """The changed environment started over a running one: the maestro command at the default batch and
    at 100%, and the floor's down + up; alternating, each from the same running environment, each checked:
    every instance running on its ship, in a new container."""
    maestro = [PYTHON, "-m", "maestro_cli", "-f", changed_path, "start"]
    argv = {
        ROLLOUTS[0]: [maestro],
        ROLLOUTS[1]: [maestro + ["--update-parallelism", "100%"]],
        ROLLOUTS[2]: [
            argv_for("floor", "stop", changed_path)[:-1] + ["down"],
            argv_for("floor", "start", changed_path),
        ],
    }
    times = {how: [] for how in ROLLOUTS}
    for i in range(runs):
        for how in ROLLOUTS[i % len(ROLLOUTS) :] + ROLLOUTS[: i % len(ROLLOUTS)]:
            lab.reset()
            timed(argv_for("maestro", "start", env_path))
            before = ships_state(lab)
            seconds = sum(timed(step)[0] for step in argv[how])
            found = ships_state(lab)
            check("start", expected, found, None, "")
            kept = sorted(n for n in expected if found[n][1] == before[n][1])
            if kept:
                raise WrongState("after the rollout (%s): containers not replaced: %s" % (how, kept[:5]))
            times[how].append(seconds)
            if verbose:
                print("  large rollout %-22s %.2f" % (how, seconds), flush=True)
    return times


def rollout_table(times):
    if not times or not times[ROLLOUTS[1]]:
        return ""
    floor = statistics.median(times[ROLLOUTS[2]])
    lines = [
        "",
        "rollout: the large environment with one value changed in every service, started over it (%d runs each)"
        " - seconds, median (min-max)" % len(times[ROLLOUTS[1]]),
        "| how | rollout | / floor |",
        "|---|---|---|",
    ]
    lines += ["| %s | %s | %.2f |" % (how, fmt(times[how]), statistics.median(times[how]) / floor) for how in ROLLOUTS]
    ratio = statistics.median(times[ROLLOUTS[1]]) / floor
    lines.append(
        "at 100%%: %.2f x floor, target <= %.2f: %s"
        % (ratio, ROLLOUT_TARGET, "met" if ratio <= ROLLOUT_TARGET else "NOT met")
    )
    return "\n".join(lines)


def check_runs(lab, env_path, changed_path, runs, verbose):
    """``maestro start --check --diff`` against ``maestro status`` on the small environment (and start.yml
    --check --diff, for scale): first on an empty lab, then with every service's settings changed over a
    running one; alternating which goes first; a check run must change nothing and print a diff."""
    argv = {
        how: {
            "maestro start --check --diff": [PYTHON, "-m", "maestro_cli", "-f", path, "start", "--check", "--diff"],
            "maestro status": [PYTHON, "-m", "maestro_cli", "-f", path, "status"],
            "start.yml --check --diff": argv_for("ours", "start", path) + ["--check", "--diff"],
        }
        for how, path in (("nothing started", env_path), ("a setting changed", changed_path))
    }
    times = {how: {what: [] for what in CHECKS} for how in argv}
    for how in argv:
        lab.reset()
        if how == "a setting changed":
            timed(argv_for("maestro", "start", env_path))
        before = ships_state(lab)
        for i in range(runs):
            for what in CHECKS[i % len(CHECKS) :] + CHECKS[: i % len(CHECKS)]:
                seconds, output = timed(argv[how][what])
                if ships_state(lab) != before:
                    raise WrongState("%s (%s) changed the ships" % (what, how))
                if "--diff" in what and "+++ after: " not in output:
                    raise WrongState("%s (%s) printed no diff:\n%s" % (what, how, output[-2000:]))
                times[how][what].append(seconds)
                if verbose:
                    print("  small %s, %s %.2f" % (how, what, seconds), flush=True)
    return times


def check_table(times):
    if not times:
        return ""
    lines = [
        "",
        "check and diff in process, small environment (%d runs each) - seconds, median (min-max)"
        % len(times["nothing started"][CHECKS[0]]),
        "| %s | %s | check/status |" % ("when", " | ".join(CHECKS)),
        "|---|---|---|---|---|",
    ]
    for how, found in times.items():
        ratio = statistics.median(found[CHECKS[0]]) / statistics.median(found[CHECKS[1]])
        lines.append(
            "| %s | %s | %.2f (target <= %.1f: %s) |"
            % (
                how,
                " | ".join(fmt(found[what]) for what in CHECKS),
                ratio,
                CHECK_TARGET,
                "met" if ratio <= CHECK_TARGET else "NOT met",
            )
        )
    return "\n".join(lines)


def model_load_seconds(env_path, runs=7):
    """Import the model and load ``env_path`` in a fresh process (Python start-up excluded)."""
    code = (
        "import sys, time; t = time.perf_counter(); sys.path.insert(0, %r)\n"
        "from ansible_collections.maestro.ng.plugins.module_utils.model import environment\n"
        "environment.load(%r); print(time.perf_counter() - t)"
    ) % (os.path.join(REPO, "collections"), env_path)
    return [float(subprocess.check_output([PYTHON, "-c", code], text=True)) for dummy in range(runs)]


def fmt(values):
    return "%6.2f (%5.2f-%5.2f)" % (statistics.median(values), min(values), max(values))


def net_overhead(results, empty):
    """The playbooks' own cost on the small environment: playbook - floor - empty playbook."""
    res = results.get("small")
    if not empty or not res or not res["floor"]:
        return ""
    med = {t: {s: statistics.median([r[s] for r in res[t]]) for s in STEPS} for t in ("ours", "floor")}
    empty_median = statistics.median(empty)
    parts = []
    for step in STEPS:
        net = med["ours"][step] - med["floor"][step] - empty_median
        limit = NET_TARGETS.get(step)
        parts.append(
            "%s %+.2f s%s"
            % (
                STEP_TITLES[step],
                net,
                " (target <= %.2f: %s)" % (limit, "met" if net <= limit else "NOT met") if limit else "",
            )
        )
    return (
        "\nAnsible's own start-up: bench/empty.yml (one task, no Docker) takes %s s. The playbooks' overhead "
        "net of it (playbook - floor - empty playbook, small): %s" % (fmt(empty).strip(), "; ".join(parts))
    )


def command_target(size, step, med):
    """(target text, met text) of the maestro command for a step, or ("", "")."""
    limits = COMMAND_TARGETS[size].get(step)
    if not limits:
        return "", ""
    texts = [_command_target(limit, step, med) for limit in (limits if isinstance(limits, list) else [limits])]
    return "; ".join(t for t, dummy in texts), "; ".join(m for dummy, m in texts if m)


def _command_target(limit, step, med):
    value = med["maestro"][step]
    if limit == "maestrong" or isinstance(limit, tuple) and limit[0] == "maestrong":
        what = "< MaestroNG" if limit == "maestrong" else "<= %.2f x MaestroNG" % limit[1]
        if "maestrong" not in med:
            return what + " (not measured)", ""
        if limit == "maestrong":
            return what, ("yes" if value < med["maestrong"][step] else "NO") + " (%.2f)" % value
        ratio = value / med["maestrong"][step]
        return what, ("yes" if ratio <= limit[1] else "NO") + " (%.2f)" % ratio
    if isinstance(limit, tuple):  # ("seconds", s)
        return "< %.2f s absolute" % limit[1], ("yes" if value < limit[1] else "NO") + " (%.2f)" % value
    ratio = value / med["floor"][step]
    return "<= %.2f x floor" % limit, ("yes" if ratio <= limit else "NO") + " (%.2f)" % ratio


def playbook_target(size, step, med):
    """(target text, met text) of the playbooks for a step, or ("", "")."""
    limit = TARGETS[size].get(step)
    if not limit or "ours" not in med:
        return "", ""
    if isinstance(limit, tuple):  # ("maestro", s): seconds more than the maestro command's
        value = med["ours"][step] - med["maestro"][step]
        return "<= maestro + %.2f s" % limit[1], ("yes" if value <= limit[1] else "NO") + " (%+.2f s)" % value
    if step in ABSOLUTE.get(size, ()) or step == "status":
        value, what = med["ours"][step], "s absolute"
    elif step == "noop":
        value, what = med["ours"]["noop"] / med["ours"]["start"], "/ own cold start"
    else:
        value, what = med["ours"][step] / med["floor"][step], "x floor"
    return "<= %.2f %s" % (limit, what), ("yes" if value <= limit else "NO") + " (%.2f)" % value


def table(results, sizes):
    lines = []
    for size in sizes:
        res = results[size]
        tools = [t for t in COLUMNS if res.get(t)]
        if "floor" not in tools:
            continue
        med = {t: {s: statistics.median([r[s] for r in res[t]]) for s in STEPS} for t in tools}
        lines.append("")
        lines.append(
            "%s (%d containers; runs: %s) - seconds, median (min-max)%s"
            % (
                size,
                res["containers"],
                ", ".join("%s %d" % (TOOL_TITLES[t], len(res[t])) for t in tools),
                "; floor: by dependency, with the running checks" if size == "uneven" else "",
            )
        )
        ratios = [t for t in tools if t != "floor"]
        targets = (["playbooks"] if "ours" in tools else []) + ["maestro"]  # xxl has no playbooks
        lines.append(
            "| step | %s | %s | %s |"
            % (
                " | ".join(TOOL_TITLES[t] for t in tools),
                " | ".join("%s/floor" % TOOL_TITLES[t] for t in ratios),
                " | ".join("%s: target | met" % t for t in targets),
            )
        )
        lines.append("|---" * (1 + len(tools) + len(ratios) + 2 * len(targets)) + "|")
        for step in STEPS:
            cells = [fmt([r[step] for r in res[t]]) for t in tools]
            cells += ["%.2f" % (med[t][step] / med["floor"][step]) for t in ratios]
            cells += list(playbook_target(size, step, med)) if "ours" in tools else []
            cells += list(command_target(size, step, med)) if "maestro" in tools else ["", ""]
            lines.append("| %s | %s |" % (STEP_TITLES[step], " | ".join(cells)))
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs-small", type=int, default=5)
    ap.add_argument("--runs-large", type=int, default=3)
    ap.add_argument("--runs-uneven", type=int, default=3)
    ap.add_argument("--runs-many", type=int, default=3)
    ap.add_argument("--runs-xxl", type=int, default=2, help="the 40-ship environment (only with --only xxl)")
    ap.add_argument("--runs-site", type=int, default=3, help="site.yml vs start.yml cold starts (large)")
    ap.add_argument("--runs-rollout", type=int, default=3, help="rollouts of a change (large)")
    ap.add_argument("--runs-check", type=int, default=5, help="check and diff runs against status (small)")
    ap.add_argument("--only", choices=["small", "large", "uneven", "many", "xxl", "site", "rollout", "check"])
    ap.add_argument("--maestrong", metavar="BIN", help="MaestroNG 0.8.3's maestro (a side venv's), timed as well")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every run's times")
    args = ap.parse_args()
    global MAESTRONG  # pylint: disable=global-statement
    MAESTRONG = args.maestrong
    runs = {
        "small": args.runs_small,
        "large": args.runs_large,
        "uneven": args.runs_uneven,
        "many": args.runs_many,
        "xxl": args.runs_xxl,
    }
    sizes = [args.only] if args.only in runs else [] if args.only else list(DEFAULT_SIZES)
    site_wanted = args.runs_site > 0 and args.only in (None, "large", "many", "site")
    site_sizes = [size for size in ("large", "many") if args.only in (None, "site", size)]
    rollout_wanted = args.runs_rollout > 0 and args.only in (None, "large", "rollout")
    check_wanted = args.runs_check > 0 and args.only in (None, "small", "check")

    labs = {}
    for size in sizes:
        labs[size] = Lab(first=FIRST_SHIP[size])
        labs[size].up(SHIPS[size])
    folder = tempfile.mkdtemp(prefix="maestro-bench-")
    paths, changed_paths, expected, results, empty = {}, {}, {}, {}, []
    also = [size for size in (site_sizes if site_wanted else []) if size not in sizes]
    also += ["large"] if rollout_wanted and "large" not in sizes + also else []
    also += ["small"] if check_wanted and "small" not in sizes else []
    for size in sizes + also:
        if size not in labs:
            labs[size] = Lab(first=FIRST_SHIP[size])
            labs[size].up(SHIPS[size])
        model = envs.generate(size, labs[size].ships)
        paths[size] = envs.write(os.path.join(folder, "%s.yaml" % size), model)
        expected[size] = envs.instances(model)
        if size in ("large", "small"):
            changed_paths[size] = envs.write(os.path.join(folder, "%s-changed.yaml" % size), changed(model))
        results[size] = dict({tool: [] for tool in tools_for(size, MAESTRONG)}, containers=len(expected[size]))

    started = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    load_before = os.getloadavg()
    site = rollout = checks = None
    try:
        for i in range(max([runs[s] for s in sizes] or [0])):
            for size in sizes:
                if i >= runs[size]:
                    continue
                tools = tools_for(size, MAESTRONG)
                order = tools[i % len(tools) :] + tools[: i % len(tools)]
                for tool in order:
                    results[size][tool].append(
                        one_run(labs[size], tool, size, paths[size], expected[size], args.verbose)
                    )
                if size == "small":
                    empty.append(timed([ANSIBLE_PLAYBOOK, os.path.join(HERE, "empty.yml")])[0])
        if site_wanted:
            site = {
                size: site_runs(labs[size], paths[size], expected[size], args.runs_site, args.verbose, size)
                for size in site_sizes
            }
        if rollout_wanted:
            rollout = rollout_runs(
                labs["large"],
                paths["large"],
                changed_paths["large"],
                expected["large"],
                args.runs_rollout,
                args.verbose,
            )
        if check_wanted:
            checks = check_runs(labs["small"], paths["small"], changed_paths["small"], args.runs_check, args.verbose)
        load = model_load_seconds(paths["large"]) if "large" in sizes else None
    finally:
        for lab in labs.values():
            lab.reset()
        shutil.rmtree(folder, ignore_errors=True)

    uname = os.uname()
    print(
        "maestro.ng benchmark, %s; %s %s, %d CPUs, load average %s at the start, %s at the end"
        % (
            started,
            uname.nodename,
            uname.machine,
            os.cpu_count(),
            " ".join("%.2f" % x for x in load_before),
            " ".join("%.2f" % x for x in os.getloadavg()),
        )
    )
    print(table(results, sizes))
    print(net_overhead(results, empty))
    print(site_table(site))
    print(rollout_table(rollout))
    print(check_table(checks))
    if load:
        print(
            "\nlarge environment model, import + load in a fresh process: median %.3f s "
            "(%.3f-%.3f), target < 0.2 s" % (statistics.median(load), min(load), max(load))
        )
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    out = os.path.join(HERE, "results", time.strftime("%Y%m%d-%H%M%S") + ".json")
    with open(out, "w", encoding="utf-8") as handle:
        json.dump(
            {
                "started": started,
                "results": results,
                "model_load": load,
                "empty_playbook": empty,
                "site_vs_start": site,
                "rollout": rollout,
                "check_vs_status": checks,
            },
            handle,
            indent=1,
        )
    print("raw numbers: %s" % os.path.relpath(out, REPO))


if __name__ == "__main__":
    main()
