# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options of maestro.ng.instances (several instances of one ship in one task: a step of the
maestro.ng.service role) and its run, shared by the module and its action plugin.

One connection and one container listing of the ship serve every instance; they converge in
parallel threads, each as maestro.ng.container would (container_args.converged_on). A started
instance whose settings drifted is replaced one at a time on the ship, as the role's loop did:
the others of the task first learn, in check mode, which of them are to be replaced.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Optional

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ..defaults import SHIP_CONCURRENCY
from ..errors import MaestroError
from ..model.secrets import hidden
from ..model.vault import clear_values
from . import registries
from .client import ShipUnreachable, connect, connection_errors, containers_by_name
from .container import aside_of, headed_diffs
from .container_args import CONNECTION_SPEC, INSTANCE_SPEC, converged_on, instance_spec, refusal, ship_of
from .container_args import secrets_only as container_secrets_only

if TYPE_CHECKING:
    from ..records import InstanceSpec, Registry, Ship

INSTANCES_SPEC = dict(
    CONNECTION_SPEC,
    # Instance specs (maestro.ng.container's instance options each; other keys, as level, are left out).
    specs=dict(type="list", elements="dict", required=True),
    # Their vault values: instance name -> its secrets (the inventory's maestro_instance_secrets).
    secrets=dict(type="dict", no_log=True),
    parallel=dict(type="int", default=SHIP_CONCURRENCY),
)
_SPEC_VALIDATOR = ArgumentSpecValidator(INSTANCE_SPEC)


def instance_specs(params: Mapping[str, Any]) -> tuple[list[InstanceSpec], list[str], Optional[Ship]]:
    """(each of ``params["specs"]`` as a checked instance spec, the errors of those that are not, their ship)."""
    specs, errors, ship = [], [], None
    for raw in params["specs"]:
        name = raw.get("name") if isinstance(raw, dict) else None
        checked = _SPEC_VALIDATOR.validate({key: value for key, value in raw.items() if key in INSTANCE_SPEC})
        if checked.error_messages:
            errors.append("%s: %s" % (name or "a spec", "; ".join(checked.error_messages)))
            continue
        one = dict(params, **checked.validated_parameters)
        one["secrets"] = (params.get("secrets") or {}).get(name)
        ship = ship_of(one)[0]
        try:
            spec = instance_spec(one, ship)
        except MaestroError as exc:
            errors.append(str(exc))
            continue
        refused = refusal(spec)
        if refused:
            errors.append(refused)
        specs.append(spec)
    return specs, errors, ship


def converge_many(
    params: Mapping[str, Any],
    known_registries: Optional[Mapping[str, Registry]],
    check_mode: bool = False,
    diff: bool = False,
    unreachable: bool = False,
) -> dict[str, Any]:
    """The instances of ``params["specs"]`` (one ship's) brought to ``params["state"]``: ``changed``,
    ``instances`` (each one's result, named ``instance``, in the order given), ``diff`` (a list, when
    asked), and ``failed``/``msg`` when one failed. A spec Docker would refuse refuses them all, before
    any change; a ship that does not answer is ``unreachable`` with ``unreachable``."""
    specs, errors, ship = instance_specs(params)
    if errors:
        return {"failed": True, "changed": False, "instances": [], "msg": "; ".join(errors)}
    if ship is None:
        return {"changed": False, "instances": []}
    try:
        with connection_errors(ship["name"], ship["docker_url"]):
            client = connect(ship)
            registries.login(client, known_registries)
            found = containers_by_name(client)
    except ShipUnreachable as exc:
        return {"unreachable" if unreachable else "failed": True, "changed": False, "instances": [], "msg": str(exc)}

    def run(spec: InstanceSpec, check: bool) -> dict[str, Any]:
        listing = {"listed": found.get(spec["name"]), "aside": aside_of(found, spec["name"], spec["environment"])}
        result = converged_on(client, spec, params, known_registries, check, diff, unreachable, **listing)
        return hidden(dict(result, instance=spec["name"]), clear_values(spec))

    workers = max(1, min(params["parallel"], len(specs)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        if check_mode or params["state"] != "started":
            results = list(pool.map(lambda spec: run(spec, check_mode), specs))
        else:
            # What each would do; the unchanged are done, the replaced go one at a time, the rest at once.
            planned = list(pool.map(lambda spec: run(spec, True), specs))
            replaced = [s for s, r in zip(specs, planned) if r.get("changed") and r.get("reasons")]
            others = _at_once(
                pool, run, [(s, r) for s, r in zip(specs, planned) if r.get("changed") and not r.get("reasons")]
            )
            done = {s["name"]: run(s, False) for s in replaced}
            done.update({name: future.result() for name, future in others.items()})
            results = [done.get(s["name"], r) for s, r in zip(specs, planned)]
    return summary(results, diff)


def _at_once(pool, run, planned):
    """{name: future of its run} for the (spec, planned result) pairs, all at once, except that an image to
    be pulled is pulled by the first of its instances (its leader) before the others of that image run."""
    leaders: dict[str, Any] = {}
    futures = {}
    for spec, result in planned:  # leaders first: they take the pool's first threads
        if spec["image"] not in leaders and any("pull" in action for action in result.get("actions") or []):
            leaders[spec["image"]] = futures[spec["name"]] = pool.submit(run, spec, False)

    def after_leader(spec):
        leaders[spec["image"]].result()
        return run(spec, False)

    for spec, dummy in planned:
        if spec["name"] not in futures:
            waits = spec["image"] in leaders
            futures[spec["name"]] = pool.submit(after_leader, spec) if waits else pool.submit(run, spec, False)
    return futures


def summary(results: list[dict[str, Any]], diff: bool) -> dict[str, Any]:
    """The task's result of its instances' ``results``."""
    outcome: dict[str, Any] = {
        "changed": any(r.get("changed") for r in results),
        "instances": [{key: value for key, value in r.items() if key != "diff"} for r in results],
    }
    if diff:
        outcome["diff"] = headed_diffs(results)
    failures = [r for r in results if r.get("failed") or r.get("unreachable")]
    if failures:
        outcome["failed"] = True
        outcome["msg"] = "; ".join(str(r.get("msg") or "%s failed" % r["instance"]) for r in failures)
        if all(r.get("unreachable") for r in failures):
            outcome["unreachable"] = True
    return outcome


def secrets_only(no_log_values: Iterable[str], params: Mapping[str, Any]) -> set[str]:
    """What the module's output must hide: as maestro.ng.container's (container_args.secrets_only),
    with the vault values of every spec."""
    specs = instance_specs(params)[0]  # (its errors: converge_many says them)
    return container_secrets_only(no_log_values, params) | {value for spec in specs for value in clear_values(spec)}
