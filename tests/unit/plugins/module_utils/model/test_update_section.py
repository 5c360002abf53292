"""A service's ``update:`` (model/update_section.py): how a change rolls out to its instances. The
defaults, each key and its refusals (one located line each, through environment.load), a run's own
choices over it (overridden), and the batches it cuts a service's instances into."""

import pytest

from ansible_collections.maestro.ng.plugins.module_utils.errors import MaestroError
from ansible_collections.maestro.ng.plugins.module_utils.model import update_section

# The update: section is on line 6; its first key on line 7.
ENV = """\
name: e
ships: {vm1: {ip: 10.0.0.1}}
services:
  web:
    image: x
    update:
%s
    instances: {web-1: {ship: vm1}, web-2: {ship: vm1}}
"""
NOT_A_PARALLELISM = "must be a number of instances (1 or more) or a percentage such as 50%, got "


def env_with(*lines):
    return ENV % "\n".join("      " + line for line in lines)


def update_of(load_env, *lines):
    return load_env(env_with(*lines)).services["web"]["update"]


# ---------------------------------------------------------------- read(), through environment.load


def test_a_service_without_update_rolls_out_one_at_a_time_with_rollback(load_env):
    env = load_env("""\
        name: e
        ships: {vm1: {ip: 10.0.0.1}}
        services:
          web: {image: x, instances: {web-1: {ship: vm1}}}
        """)
    assert env.services["web"]["update"] == {"parallelism": 1, "delay": 0.0, "failure_action": "rollback"}


def test_an_empty_update_is_the_defaults(load_env):
    env = load_env(ENV.replace("    update:\n%s\n", "    update:\n"))
    assert env.services["web"]["update"] == update_section.DEFAULT_UPDATE


def test_read_leaves_the_defaults_alone():
    first = update_section.read({}, ("services", "web"))
    first["parallelism"] = 5
    assert update_section.read({}, ("services", "web")) == {
        "parallelism": 1,
        "delay": 0.0,
        "failure_action": "rollback",
    }


def test_every_key(load_env):
    assert update_of(load_env, "parallelism: 2", "delay: 5", "failure_action: pause") == {
        "parallelism": 2,
        "delay": 5,
        "failure_action": "pause",
    }


@pytest.mark.parametrize(
    "line, key, value",
    [
        ("parallelism: 3", "parallelism", 3),
        ('parallelism: "4"', "parallelism", 4),  # a number as a string is the number
        ("delay: 2.5", "delay", 2.5),
        ("delay: 0", "delay", 0),
        ("failure_action: rollback", "failure_action", "rollback"),
        ("failure_action: continue", "failure_action", "continue"),
        ("failure_action: pause", "failure_action", "pause"),
    ],
)
def test_each_key_alone_leaves_the_others_at_their_defaults(load_env, line, key, value):
    expected = dict(update_section.DEFAULT_UPDATE)
    expected[key] = value
    assert update_of(load_env, line) == expected


@pytest.mark.parametrize(
    "given, kept",
    [
        ('"50%"', "50%"),
        ('"12.5%"', "12.5%"),
        ('"100%"', "100%"),
        ('" 25 %"', "25%"),  # spaces around are dropped
        ("0.5%", "0.5%"),
    ],
)
def test_a_percentage_is_kept_as_a_percentage(load_env, given, kept):
    assert update_of(load_env, "parallelism: %s" % given)["parallelism"] == kept


@pytest.mark.parametrize(
    "given, shown",
    [
        ("0", "0"),
        ("-1", "-1"),
        ("1.5", "1.5"),
        ("true", "True"),
        ("abc", "'abc'"),
        ('"0%"', "'0%'"),
        ('"150%"', "'150%'"),
        ('"-5%"', "'-5%'"),
        ('"50 percent"', "'50 percent'"),
        ("[1]", "[1]"),
    ],
)
def test_a_bad_parallelism_is_one_located_line(load_error, given, shown):
    assert load_error(env_with("parallelism: %s" % given)) == (
        "env.yaml:7: services.web.update.parallelism: " + NOT_A_PARALLELISM + shown
    )


@pytest.mark.parametrize(
    "given, message",
    [
        ("-1", "must not be negative, got -1"),
        ("soon", "must be a number, got 'soon'"),
        ("true", "must be a number, got True"),
    ],
)
def test_a_bad_delay_is_one_located_line(load_error, given, message):
    assert load_error(env_with("parallelism: 1", "delay: %s" % given)) == (
        "env.yaml:8: services.web.update.delay: " + message
    )


@pytest.mark.parametrize(
    "given, message",
    [
        ("stop", "must be one of rollback, pause, continue, got 'stop'"),
        ("Rollback", "must be one of rollback, pause, continue, got 'Rollback'"),
        ("[pause]", "must be a string, got a list"),
    ],
)
def test_a_bad_failure_action_is_one_located_line(load_error, given, message):
    assert load_error(env_with("failure_action: %s" % given)) == (
        "env.yaml:7: services.web.update.failure_action: " + message
    )


def test_an_update_that_is_not_a_mapping_is_refused(load_error):
    text = ENV.replace("    update:\n%s\n", "    update: fast\n")
    assert load_error(text) == "env.yaml:6: services.web.update: must be a mapping, got a string"


def test_a_misspelt_key_gets_a_hint(load_error):
    assert load_error(env_with("paralelism: 2")) == (
        "env.yaml:7: services.web.update.paralelism: unknown update key 'paralelism' (did you mean 'parallelism'?)"
    )


def test_an_unknown_key_lists_the_known_ones(load_error):
    assert load_error(env_with("delay: 1", "order: start-first")) == (
        "env.yaml:8: services.web.update.order: unknown update key 'order' (known: delay, failure_action, parallelism)"
    )


# ---------------------------------------------------------------- parallelism()


@pytest.mark.parametrize(
    "value, expected",
    [
        (1, 1),
        (7, 7),
        ("3", 3),
        (" 2 ", 2),
        ("50%", "50%"),
        ("12.5%", "12.5%"),
        ("100%", "100%"),
        (" 50 % ", "50%"),
    ],
)
def test_parallelism_takes_numbers_and_percentages(value, expected):
    assert update_section.parallelism(value) == expected


@pytest.mark.parametrize(
    "value", [0, -2, True, False, 1.0, "0", "", "x", "0%", "0.0%", "100.5%", "101%", "%", None, [2]]
)
def test_parallelism_refuses_the_rest(value):
    with pytest.raises(ValueError) as info:
        update_section.parallelism(value)
    assert str(info.value) == NOT_A_PARALLELISM + repr(value)


# ---------------------------------------------------------------- failure_action()


@pytest.mark.parametrize("value", ["rollback", "pause", "continue"])
def test_failure_action_takes_the_three(value):
    assert update_section.failure_action(value) == value


@pytest.mark.parametrize("value", ["Rollback", "", None, 1])
def test_failure_action_refuses_the_rest(value):
    with pytest.raises(ValueError) as info:
        update_section.failure_action(value)
    assert str(info.value) == "must be one of rollback, pause, continue, got %r" % (value,)


# ---------------------------------------------------------------- overridden()

POLICY = {"parallelism": 2, "delay": 5.0, "failure_action": "pause"}


def test_no_run_options_keep_the_services_own_update():
    assert update_section.overridden(POLICY, {}) == POLICY
    unset = {"update_parallelism": None, "update_delay": None, "update_failure_action": None}
    assert update_section.overridden(POLICY, unset) == POLICY
    assert update_section.overridden(POLICY, {"update_parallelism": "", "update_failure_action": ""}) == POLICY


def test_run_options_win_over_the_services_update():
    options = {"update_parallelism": "50%", "update_delay": "1.5", "update_failure_action": "continue"}
    assert update_section.overridden(POLICY, options) == {
        "parallelism": "50%",
        "delay": 1.5,
        "failure_action": "continue",
    }


@pytest.mark.parametrize(
    "options, expected",
    [
        ({"update_parallelism": 3}, {"parallelism": 3, "delay": 5.0, "failure_action": "pause"}),
        ({"update_parallelism": "4"}, {"parallelism": 4, "delay": 5.0, "failure_action": "pause"}),
        ({"update_delay": 0}, {"parallelism": 2, "delay": 0.0, "failure_action": "pause"}),
        ({"update_failure_action": "rollback"}, {"parallelism": 2, "delay": 5.0, "failure_action": "rollback"}),
    ],
)
def test_each_run_option_alone(options, expected):
    result = update_section.overridden(POLICY, options)
    assert result == expected
    assert isinstance(result["delay"], float)


def test_overridden_leaves_the_services_update_as_it_was():
    policy = dict(POLICY)
    update_section.overridden(policy, {"update_parallelism": 9, "update_delay": 1, "update_failure_action": "continue"})
    assert policy == POLICY


@pytest.mark.parametrize("value", [0, "0%", "200%", "half", True])
def test_a_bad_run_parallelism_is_a_maestro_error(value):
    with pytest.raises(MaestroError) as info:
        update_section.overridden(POLICY, {"update_parallelism": value})
    assert str(info.value) == "update_parallelism: " + NOT_A_PARALLELISM + repr(value)
    assert info.value.path == ("update_parallelism",)


def test_a_bad_run_failure_action_is_a_maestro_error():
    with pytest.raises(MaestroError) as info:
        update_section.overridden(POLICY, {"update_failure_action": "retry"})
    assert str(info.value) == "update_failure_action: must be one of rollback, pause, continue, got 'retry'"
    assert info.value.path == ("update_failure_action",)


@pytest.mark.parametrize("value", [-5, "soon"])
def test_a_bad_run_delay_is_a_maestro_error(value):
    with pytest.raises(MaestroError) as info:
        update_section.overridden(POLICY, {"update_delay": value})
    assert info.value.path == ("update_delay",)


# ---------------------------------------------------------------- batch_size() and batches()


def policy(parallelism):
    return dict(update_section.DEFAULT_UPDATE, parallelism=parallelism)


@pytest.mark.parametrize(
    "parallelism, instances, size",
    [
        (1, 5, 1),
        (2, 5, 2),
        (5, 5, 5),
        ("50%", 4, 2),
        ("50%", 5, 3),  # rounds up
        ("12.5%", 8, 1),
        ("12.5%", 9, 2),  # 1.125 rounds up
        ("34%", 3, 2),  # 1.02 rounds up
        ("100%", 7, 7),
        ("1%", 3, 1),  # never 0
        ("0.5%", 1, 1),
        ("100%", 0, 1),  # never 0, even of nothing
    ],
)
def test_batch_size(parallelism, instances, size):
    assert update_section.batch_size(policy(parallelism), instances) == size


def test_a_percentage_never_makes_a_batch_larger_than_the_service():
    for instances in range(1, 20):
        for percent in ("1%", "33.3%", "50%", "99.9%", "100%"):
            size = update_section.batch_size(policy(percent), instances)
            assert 1 <= size <= instances, (percent, instances)


def test_a_number_never_makes_a_batch_larger_than_the_service():
    assert update_section.batch_size(policy(5), 3) == 3


@pytest.mark.parametrize(
    "size, expected",
    [
        (1, [["a"], ["b"], ["c"], ["d"], ["e"]]),
        (2, [["a", "b"], ["c", "d"], ["e"]]),
        (3, [["a", "b", "c"], ["d", "e"]]),
        (5, [["a", "b", "c", "d", "e"]]),
        (9, [["a", "b", "c", "d", "e"]]),
    ],
)
def test_batches_cut_in_order(size, expected):
    assert update_section.batches(["a", "b", "c", "d", "e"], size) == expected


def test_no_names_no_batches():
    assert update_section.batches([], 3) == []
