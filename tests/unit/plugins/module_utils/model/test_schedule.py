"""A run's steps and what each waits for (model/schedule.py), and the critical path."""

import pytest

from ansible_collections.maestro.ng.plugins.module_utils.model.schedule import Step, critical_path, steps

# db and cache stand alone; api requires db; web requires api and wants cache's information;
# data's instances take volumes from each other (two instance levels of one service).
ENV = """
name: s
ships:
  ship1: {ip: 10.250.0.201}
services:
  db:
    image: busybox
    instances:
      db-1: {ship: ship1}
  cache:
    image: busybox
    instances:
      cache-1: {ship: ship1}
  api:
    image: busybox
    requires: [db]
    instances:
      api-1: {ship: ship1}
      api-2: {ship: ship1}
  web:
    image: busybox
    requires: [api]
    wants_info: [cache]
    instances:
      web-1: {ship: ship1}
  data:
    image: busybox
    instances:
      data-1: {ship: ship1}
      data-2: {ship: ship1, volumes_from: [data-1]}
"""


@pytest.fixture
def env(load_env):
    return load_env(ENV)


def named(run_steps):
    """{service (with its first instance when it has more steps): the services of the steps it waits for}."""
    return {step.instances[0]: sorted(run_steps[i].instances[0] for i in step.after) for step in run_steps}


def test_a_step_waits_for_what_its_service_requires_transitively_and_nothing_else(env):
    run_steps = steps(env, list(env.instances))
    assert named(run_steps) == {
        "db-1": [],
        "cache-1": [],
        "data-1": [],
        "api-1": ["db-1"],
        "web-1": ["api-1", "db-1"],  # wants_info gives variables, not order: cache is not waited for
        "data-2": ["data-1"],  # the service's own earlier step
    }
    assert [step.instances for step in run_steps if step.service == "api"] == [("api-1", "api-2")]


def test_stop_like_work_waits_for_the_dependents(env):
    run_steps = steps(env, list(env.instances), reverse=True)
    assert named(run_steps) == {
        "web-1": [],
        "cache-1": [],
        "data-2": [],
        "api-1": ["web-1"],
        "db-1": ["api-1", "web-1"],
        "data-1": ["data-2"],
    }


def test_only_the_runs_own_steps_count_and_their_order_is_kept(env):
    # -i web db: api is not in the run, web still comes after db.
    assert named(steps(env, ["db-1", "web-1"])) == {"db-1": [], "web-1": ["db-1"]}


def test_unordered_work_waits_for_nothing(env):
    assert {after for step in steps(env, list(env.instances), ordered=False) for after in step.after} == set()


def test_every_step_comes_after_those_it_waits_for(env):
    run_steps = steps(env, list(env.instances))
    assert all(i < index for index, step in enumerate(run_steps) for i in step.after)


def chain():
    return [
        Step("db", ("db-1",), (), 0),
        Step("cache", ("cache-1",), (), 0),
        Step("api", ("api-1",), (0,), 1),
        Step("web", ("web-1",), (0, 2), 2),
    ]


def test_the_critical_path_is_the_chain_whose_times_add_up_to_the_most():
    assert critical_path(chain(), {"db": 1.0, "cache": 5.0, "api": 2.0, "web": 1.5}) == ([1], 5.0)
    assert critical_path(chain(), {"db": 3.0, "cache": 5.0, "api": 2.0, "web": 1.5}) == ([0, 2, 3], 6.5)


def test_without_recorded_times_the_critical_path_is_the_longest_chain():
    assert critical_path(chain(), {"db": 3.0}) == ([0, 2, 3], None)
    assert critical_path([], {}) == ([], None)
