"""One service's rollout (run/rollout.py) on fakes: the batches of its update, in order and each at once,
the delay between them, what a failed batch does (rollback, pause, continue), an interrupt, and the
results (in the order of the names, with their batch). The replacements are fakes (``replace`` gives a
FakeManager that records finish and revert); the batches run through the real Runner.run_each
on fake ships, so a ContainerError becomes a failed result as in a run."""

import threading

import pytest

from ansible_collections.maestro.ng.plugins.module_utils.errors import ContainerError
from ansible_collections.maestro.ng.plugins.module_utils.run.rollout import Rollout
from ansible_collections.maestro.ng.plugins.module_utils.run.runner import Runner

ENV = """
name: roll
ships:
  ship1: {ip: 10.250.0.201}
  ship2: {ip: 10.250.0.202}
services:
  web:
    image: busybox
    instances:
      web-1: {ship: ship1}
      web-2: {ship: ship2}
      web-3: {ship: ship1}
      web-4: {ship: ship2}
      web-5: {ship: ship1}
"""
NAMES = ["web-1", "web-2", "web-3", "web-4", "web-5"]
REPLACED = ["kept aside", "created", "started"]


def previous_id(name):
    """The id of ``name``'s previous container (64 hex digits, distinct per instance)."""
    return ("%x" % (0xA0 + int(name.rsplit("-", 1)[1]))) * 32


class Journal:
    """The fakes' record: every replace (with the run_each call it ran in), finish, revert and sleep,
    in order, and the instances that fail to be replaced, finished or reverted."""

    def __init__(self, failing=(), failing_finish=(), failing_revert=(), barriers=None):
        self.failing = set(failing)
        self.failing_finish = set(failing_finish)
        self.failing_revert = set(failing_revert)
        self.barriers = barriers or {}  # {instance: threading.Barrier}: those must be replaced together
        self.lock = threading.Lock()
        self.events = []  # ("replace", name), ("finish", name), ("revert", name, why), ("sleep", seconds)
        self.calls = 0  # run_each calls so far
        self.replaced_in = {}  # instance -> the run_each call its replacement ran in

    def record(self, *event):
        with self.lock:
            self.events.append(event)

    def kinds(self, kind):
        return [event[1:] if len(event) > 2 else event[1] for event in self.events if event[0] == kind]

    def batches(self):
        """The instances replaced together, per run_each call, in order (each sorted)."""
        calls = sorted(set(self.replaced_in.values()))
        return [sorted(name for name, call in self.replaced_in.items() if call == number) for number in calls]

    def connect(self, ship):
        return object()

    def sleep(self, seconds):
        self.record("sleep", seconds)

    def replace(self, spec):
        name = spec["name"]
        with self.lock:
            self.events.append(("replace", name))
            self.replaced_in[name] = self.calls
        if name in self.barriers:
            self.barriers[name].wait(timeout=5)  # BrokenBarrierError unless replaced at once
        if name in self.failing:
            raise ContainerError(
                "%s: running checks failed; rolled back to its previous container %s" % (name, previous_id(name)[:12]),
                result={"actions": REPLACED + ["restored"], "rolled_back": previous_id(name)},
            )
        return FakeManager(self, name), {"changed": True, "actions": list(REPLACED), "reasons": ["env.PORT changed"]}


class FakeManager:
    """A replacement that proved ready, its previous container still aside."""

    def __init__(self, journal, name):
        self.journal, self.name = journal, name

    def finish(self):
        self.journal.record("finish", self.name)
        if self.name in self.journal.failing_finish:
            raise ContainerError("%s: removing %s.maestro-previous failed" % (self.name, self.name))
        return {
            "changed": True,
            "actions": REPLACED + ["removed %s.maestro-previous" % self.name],
            "reasons": ["env.PORT changed"],
            "rolled_back": None,
            "diff": {},
        }

    def revert(self, why):
        self.journal.record("revert", self.name, why)
        if self.name in self.journal.failing_revert:
            raise ContainerError("%s: nothing to revert to" % self.name)
        return {
            "changed": True,
            "actions": REPLACED + ["removed (the new container: %s)" % why, "restored"],
            "reasons": ["env.PORT changed"],
            "rolled_back": previous_id(self.name),
            "diff": {"before": {"state": "running"}, "after": {"state": "running"}},
        }


@pytest.fixture
def env(load_env):
    return load_env(ENV)


def policy(parallelism=1, delay=0.0, failure_action="rollback"):
    return {"parallelism": parallelism, "delay": delay, "failure_action": failure_action}


def rollout(env, journal, names=None, size=1, interrupted=None, check_mode=False, runner=None, **update):
    """A Rollout of ``names`` (all of web) whose batches run through a Runner on fake ships."""
    runner = runner or Runner(env, journal.connect)

    def run_each(batch, action):
        with journal.lock:
            journal.calls += 1
        return runner.run_each(batch, action)

    return Rollout(
        "web",
        list(names or NAMES),
        env.instances,
        policy(parallelism=size, **update),
        size,
        replace=journal.replace,
        run_each=run_each,
        interrupted=interrupted or (lambda: None),
        check_mode=check_mode,
        sleep=journal.sleep,
    )


def by_instance(results):
    return {result["instance"]: result for result in results}


def test_batches_go_in_order_of_the_given_size_each_at_once(env):
    # Each batch's instances wait for one another: they must be replaced at once.
    first, second = threading.Barrier(2), threading.Barrier(2)
    journal = Journal(barriers={"web-1": first, "web-2": first, "web-3": second, "web-4": second})
    results = rollout(env, journal, size=2).run()
    assert journal.batches() == [["web-1", "web-2"], ["web-3", "web-4"], ["web-5"]]
    assert journal.kinds("replace")[4] == "web-5"
    assert not any(result["failed"] for result in results)


def test_one_at_a_time_replaces_each_instance_alone_in_the_order_of_the_names(env):
    journal = Journal()
    rollout(env, journal, names=["web-3", "web-1", "web-2"]).run()
    assert journal.batches() == [["web-3"], ["web-1"], ["web-2"]]
    assert journal.kinds("replace") == ["web-3", "web-1", "web-2"]


def test_every_result_carries_its_batch_and_comes_in_the_order_of_the_names(env):
    journal = Journal()
    names = ["web-4", "web-2", "web-5", "web-1", "web-3"]
    results = rollout(env, journal, names=names, size=2).run()
    assert [result["instance"] for result in results] == names
    assert [result["rollout"] for result in results] == [
        {"batch": 1, "of": 3, "size": 2},
        {"batch": 1, "of": 3, "size": 2},
        {"batch": 2, "of": 3, "size": 2},
        {"batch": 2, "of": 3, "size": 2},
        {"batch": 3, "of": 3, "size": 2},
    ]


def test_a_successful_rollout_finishes_every_replacement_after_the_last_batch(env):
    journal = Journal()
    results = rollout(env, journal, size=2).run()
    kinds = [event[0] for event in journal.events]
    assert kinds == ["replace"] * 5 + ["finish"] * 5
    assert sorted(journal.kinds("finish")) == NAMES
    assert journal.kinds("revert") == []
    for result in results:
        assert not result["failed"] and result["changed"]
        assert result["actions"] == REPLACED + ["removed %s.maestro-previous" % result["instance"]]


def test_the_delay_goes_between_batches_only(env):
    journal = Journal()
    rollout(env, journal, size=2, delay=5).run()
    kinds = [event[0] for event in journal.events]
    # None before the first batch, one between each two, none after the last.
    assert kinds == ["replace", "replace", "sleep", "replace", "replace", "sleep", "replace"] + ["finish"] * 5
    assert journal.kinds("sleep") == [5.0, 5.0]


def test_no_delay_in_check_mode(env):
    journal = Journal()
    results = rollout(env, journal, size=2, delay=5, check_mode=True).run()
    assert journal.kinds("sleep") == []
    assert journal.batches() == [["web-1", "web-2"], ["web-3", "web-4"], ["web-5"]]
    assert not any(result["failed"] for result in results)


def test_no_delay_without_one(env):
    journal = Journal()
    rollout(env, journal, size=1).run()
    assert journal.kinds("sleep") == []
    assert len(journal.batches()) == 5


def test_rollback_reverts_the_earlier_batches_and_runs_no_further_one(env):
    journal = Journal(failing={"web-2"})
    why = "the rollout of web stopped: web-2 failed"
    results = by_instance(rollout(env, journal, names=NAMES[:4]).run())
    assert journal.kinds("replace") == ["web-1", "web-2"]
    assert journal.kinds("revert") == [("web-1", why)]
    assert journal.kinds("finish") == []
    reverted = results["web-1"]
    assert reverted["failed"]
    assert reverted["msg"] == "web-1: %s; rolled back to its previous container %s" % (why, previous_id("web-1")[:12])
    assert reverted["rolled_back"] == previous_id("web-1")
    assert reverted["actions"] == REPLACED + ["removed (the new container: %s)" % why, "restored"]
    assert reverted["rollout"] == {"batch": 1, "of": 4, "size": 1}
    assert results["web-2"]["failed"] and results["web-2"]["msg"].startswith("web-2: running checks failed")
    for name in ("web-3", "web-4"):
        assert results[name]["skipped"] and not results[name]["failed"]
        assert results[name]["msg"] == "not run: " + why
        assert results[name]["actions"] == []


def test_rollback_reverts_the_replaced_instances_of_the_failed_batch_too(env):
    journal = Journal(failing={"web-4"})
    results = by_instance(rollout(env, journal, size=2).run())
    why = "the rollout of web stopped: web-4 failed"
    assert sorted(journal.kinds("revert")) == [(name, why) for name in ("web-1", "web-2", "web-3")]
    assert journal.kinds("finish") == []
    assert all(
        results[name]["failed"] and "rolled back" in results[name]["msg"] for name in ("web-1", "web-2", "web-3")
    )
    assert results["web-5"]["msg"] == "not run: " + why
    assert "web-5" not in journal.kinds("replace")


def test_rollback_names_every_failed_instance_of_the_batch(env):
    journal = Journal(failing={"web-1", "web-2"})
    results = by_instance(rollout(env, journal, names=NAMES[:3], size=2).run())
    assert results["web-3"]["msg"] == "not run: the rollout of web stopped: web-1, web-2 failed"
    assert journal.kinds("revert") == []


def test_a_revert_that_fails_says_why(env):
    journal = Journal(failing={"web-2"}, failing_revert={"web-1"})
    results = by_instance(rollout(env, journal, names=NAMES[:3]).run())
    assert results["web-1"]["failed"] and results["web-1"]["msg"] == "web-1: nothing to revert to"


def test_pause_keeps_what_is_done_and_runs_no_further_batch(env):
    journal = Journal(failing={"web-2"})
    results = by_instance(rollout(env, journal, names=NAMES[:4], failure_action="pause").run())
    assert journal.kinds("replace") == ["web-1", "web-2"]
    assert journal.kinds("finish") == ["web-1"]
    assert journal.kinds("revert") == []
    assert not results["web-1"]["failed"]
    assert results["web-1"]["actions"] == REPLACED + ["removed web-1.maestro-previous"]
    assert results["web-2"]["failed"]
    assert results["web-3"]["msg"] == results["web-4"]["msg"] == "not run: the rollout of web stopped: web-2 failed"
    assert results["web-3"]["skipped"] and results["web-4"]["skipped"]


def test_pause_keeps_the_replaced_instances_of_the_failed_batch(env):
    journal = Journal(failing={"web-2"})
    results = by_instance(rollout(env, journal, names=NAMES[:4], size=2, failure_action="pause").run())
    assert journal.kinds("finish") == ["web-1"]
    assert not results["web-1"]["failed"]
    assert results["web-3"]["msg"] == "not run: the rollout of web stopped: web-2 failed"


def test_continue_goes_on_and_finishes_the_successful_ones(env):
    journal = Journal(failing={"web-2"})
    results = by_instance(rollout(env, journal, names=NAMES[:4], failure_action="continue").run())
    assert journal.kinds("replace") == ["web-1", "web-2", "web-3", "web-4"]
    assert sorted(journal.kinds("finish")) == ["web-1", "web-3", "web-4"]
    assert journal.kinds("revert") == []
    assert [name for name, result in sorted(results.items()) if result["failed"]] == ["web-2"]
    assert results["web-4"]["rollout"] == {"batch": 4, "of": 4, "size": 1}


def test_a_finish_that_fails_fails_its_instance(env):
    journal = Journal(failing_finish={"web-2"})
    results = by_instance(rollout(env, journal, names=NAMES[:3]).run())
    assert results["web-2"]["failed"]
    assert results["web-2"]["msg"] == "web-2: removing web-2.maestro-previous failed"
    assert not results["web-1"]["failed"] and not results["web-3"]["failed"]


def test_an_instance_that_was_not_converged_is_neither_finished_nor_reverted(env):
    # replace gives no manager when nothing was converged (a plan said "none").
    journal = Journal(failing={"web-2"})
    replace = journal.replace

    def replace_or_not(spec):
        if spec["name"] == "web-1":
            return None, {"changed": False, "actions": ["planned: nothing to do"]}
        return replace(spec)

    journal.replace = replace_or_not
    results = by_instance(rollout(env, journal, names=NAMES[:3]).run())
    assert journal.kinds("revert") == [] and journal.kinds("finish") == []
    assert not results["web-1"]["failed"] and results["web-1"]["actions"] == ["planned: nothing to do"]
    assert results["web-3"]["msg"] == "not run: the rollout of web stopped: web-2 failed"


def test_an_interrupt_runs_no_further_batch_but_finishes_the_done_ones(env):
    journal = Journal()

    def interrupted():
        return "SIGINT" if journal.kinds("replace") else None

    results = by_instance(rollout(env, journal, names=NAMES[:3], interrupted=interrupted).run())
    assert journal.kinds("replace") == ["web-1"]
    assert journal.kinds("finish") == ["web-1"]
    assert not results["web-1"]["failed"]
    for name in ("web-2", "web-3"):
        assert results[name]["skipped"] and results[name]["msg"] == "not run: interrupted (SIGINT)"


def test_an_interrupt_during_the_delay_between_batches_runs_no_further_batch(env):
    journal = Journal()
    runner = Runner(env, journal.connect)
    runner.admit(NAMES[:2])  # as the orchestrator admits the step before it announces it
    job = rollout(env, journal, names=NAMES[:2], interrupted=lambda: runner.interrupted, runner=runner, delay=30)
    job._sleep = lambda seconds: runner.interrupt("SIGINT")  # Ctrl-C during the 30 s
    results = by_instance(job.run())
    assert journal.kinds("replace") == ["web-1"] and journal.kinds("finish") == ["web-1"]
    assert results["web-2"]["skipped"] and results["web-2"]["msg"] == "not run: interrupted (SIGINT)"


def test_an_interrupt_of_the_runner_still_finishes_the_replacements_in_progress(env):
    # The signal comes during the first batch: its instances were admitted, so they (and their
    # finish) still run; no other batch does.
    journal = Journal()
    runner = Runner(env, journal.connect)
    replace = journal.replace

    def replace_then_interrupt(spec):
        outcome = replace(spec)
        runner.interrupt("SIGTERM")
        return outcome

    journal.replace = replace_then_interrupt
    results = by_instance(
        rollout(env, journal, names=NAMES[:4], size=2, runner=runner, interrupted=lambda: runner.interrupted).run()
    )
    assert sorted(journal.kinds("replace")) == ["web-1", "web-2"]
    assert sorted(journal.kinds("finish")) == ["web-1", "web-2"]
    assert not results["web-1"]["failed"] and not results["web-2"]["failed"]
    assert results["web-3"]["msg"] == results["web-4"]["msg"] == "not run: interrupted (SIGTERM)"


def test_an_interrupt_before_the_first_batch_runs_nothing(env):
    journal = Journal()
    results = rollout(env, journal, names=NAMES[:2], interrupted=lambda: "SIGINT").run()
    assert journal.events == []
    assert [result["msg"] for result in results] == ["not run: interrupted (SIGINT)"] * 2


@pytest.mark.parametrize(
    "names, size, action, text",
    [
        (NAMES[:3], 1, "rollback", "3 instances, 1 at a time, rollback on failure"),
        (NAMES[:1], 2, "pause", "1 instance, 2 at a time, pause on failure"),
        (NAMES, 5, "continue", "5 instances, 5 at a time, continue on failure"),
    ],
)
def test_describe_says_how_many_how_many_at_once_and_what_a_failure_does(env, names, size, action, text):
    assert rollout(env, Journal(), names=names, size=size, failure_action=action).describe() == text
