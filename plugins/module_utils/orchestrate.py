# -*- coding: utf-8 -*-
# Copyright: maestro-ng for Ansible contributors
# Apache License 2.0 (see LICENSE)
"""Bring a selection of an environment to a state, level by level, in parallel.

Every instance of a dependency level converges at once (threads across and within
ships); the next level starts only when the whole level succeeded. A ship that
does not answer fails its own instances, with its name and URL, and nothing else.
Used in-process by the controller-side action plugins (no module fork per
container), and usable from any Python code.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from .container import START_GRACE, ContainerError, ContainerManager
from .docker_client import DockerException, ShipUnreachable, connect, connection_errors
from .selection import plan

# What each command does to one instance, and whether levels run in reverse.
COMMANDS = {
    "started": ("started", False),
    "stopped": ("stopped", True),
    "killed": ("killed", True),
    "restarted": ("restarted", False),
    "absent": ("absent", True),
    "cleaned": ("cleaned", True),
    "pulled": ("pulled", False),
}
PAST = {"started": "started", "stopped": "stopped", "killed": "killed", "restarted": "restarted",
        "absent": "removed", "cleaned": "cleaned", "pulled": "pulled"}
MAX_THREADS = 32


class Orchestrator:
    """Runs one command over the selected instances of a loaded environment."""

    def __init__(self, env, check_mode=False, progress=None, refresh=False):
        self.env = env
        self.check_mode = check_mode
        self.progress = progress or (lambda line: None)
        self.refresh = refresh
        self.down = {}  # ship -> ShipUnreachable, so a dead ship is tried once
        self._pulls = {}
        self._started = {}  # instance -> (manager, when) still to prove it survived its start
        self._pull_lock = threading.Lock()

    # ------------------------------------------------------------------ plumbing
    def client(self, ship_name):
        if ship_name in self.down:
            raise self.down[ship_name]
        ship = self.env.ships[ship_name]
        try:
            return connect(ship)
        except ShipUnreachable as exc:
            self.down[ship_name] = exc
            raise

    def _one(self, name, action):
        spec = self.env.instances[name]
        result = {"instance": name, "service": spec["service"], "ship": spec["ship"],
                  "changed": False, "failed": False, "actions": [], "reasons": []}
        ship = self.env.ships[spec["ship"]]
        try:
            with connection_errors(ship["name"], ship["docker_url"]):
                result.update(action(spec))
        except ShipUnreachable as exc:
            self.down.setdefault(spec["ship"], exc)
            result.update(failed=True, msg=str(exc), unreachable=True)
        except ContainerError as exc:
            result.update(exc.result or {})
            result.update(failed=True, msg=str(exc))
        except DockerException as exc:
            result.update(failed=True, msg="%s: %s" % (name, getattr(exc, "explanation", None) or exc))
        return result

    def _parallel(self, names, action, threads=None):
        if not names:
            return []
        with ThreadPoolExecutor(min(threads or len(names), MAX_THREADS)) as pool:
            return list(pool.map(lambda n: self._one(n, action), names))

    def _manager(self, spec, check_mode=None):
        # No per-container start grace: run() waits once per level (_verify_started).
        return ContainerManager(self.client(spec["ship"]), spec, start_grace=0,
                                check_mode=self.check_mode if check_mode is None else check_mode)

    def _converge(self, spec, state, **options):
        manager = self._manager(spec)
        result = manager.converge(state, **options)
        if "started" in result["actions"] and not manager.has_running_checks():
            self._started[spec["name"]] = (manager, time.monotonic())
        return result

    def _verify_started(self, results):
        """Containers started without running checks must still run START_GRACE seconds
        after their start; one wait per level, mostly already spent starting the others."""
        pending = {r["instance"]: self._started.pop(r["instance"]) for r in results
                   if r["instance"] in self._started}
        if not pending or self.check_mode:
            return
        remaining = START_GRACE - (time.monotonic() - min(when for _, when in pending.values()))
        if remaining > 0:
            time.sleep(remaining)
        verdicts = dict(zip(pending, self._parallel(list(pending), lambda spec: pending[spec["name"]][0]
                                                    .verify_running() or {})))
        for result in results:
            verdict = verdicts.get(result["instance"])
            if verdict and verdict["failed"]:
                result.update(failed=True, msg=verdict["msg"])

    # ------------------------------------------------------------------ commands
    def run(self, command, instances, restart_options=None):
        """Apply ``command`` to ``instances`` (names, in dependency order)."""
        state, reverse = COMMANDS[command]
        levels = plan(self.env, instances, reverse=reverse)
        results, failed_level = [], None
        started = time.monotonic()
        if command in ("cleaned", "pulled"):  # no ordering needed: all at once
            levels = [{"level": 0, "services": [], "instances": [i for lvl in levels for i in lvl["instances"]]}]
        for number, level in enumerate(levels, 1):
            if failed_level is not None:
                results.extend(self._not_run(level["instances"], failed_level))
                continue
            t0 = time.monotonic()
            if command == "restarted":
                level_results = self._restart_level(level["instances"], restart_options or {})
            else:
                level_results = self._parallel(level["instances"], self._action(state))
            self._verify_started(level_results)
            results.extend(level_results)
            self._report_level(number, len(levels), level, level_results, command, time.monotonic() - t0)
            if any(r["failed"] for r in level_results):
                failed_level = number
        return self._summary(command, results, time.monotonic() - started)

    def _action(self, state):
        if state == "pulled":
            return self._pull

        def converge(spec):
            if state == "cleaned":
                return self._manager(spec).converge("absent", only_if_stopped=True)
            return self._converge(spec, state, refresh=self.refresh)
        return converge

    def _pull(self, spec):
        """Pull an instance's image on its ship; instances sharing one pull it once."""
        key = (spec["ship"], spec["image"])
        with self._pull_lock:
            event = self._pulls.get(key)
            first = event is None
            if first:
                event = self._pulls[key] = threading.Event()
        if not first:
            event.wait()
            return {"changed": False, "actions": ["pulled with another instance on %s" % spec["ship"]]}
        try:
            if self.check_mode:
                return {"changed": True, "actions": ["would pull %s" % spec["image"]]}
            for line in self.client(spec["ship"]).pull(spec["image"], stream=True, decode=True):
                if line.get("error"):
                    raise ContainerError("%s: pulling %s on %s failed: %s"
                                         % (spec["name"], spec["image"], spec["ship"], line["error"]))
            return {"changed": True, "actions": ["pulled %s" % spec["image"]]}
        finally:
            event.set()

    def _restart_level(self, names, options):
        only_if_changed = options.get("only_if_changed", False)
        step_delay = float(options.get("step_delay") or 0)
        stop_start_delay = float(options.get("stop_start_delay") or 0)
        rolling = options.get("rolling", False)

        def restart(spec):
            if only_if_changed:
                preview = self._manager(spec, check_mode=True).converge("started", refresh=self.refresh)
                if not preview.get("reasons") and preview["container"]["state"] == "running":
                    return {"changed": False, "actions": ["unchanged, not restarted"]}
            if stop_start_delay:
                stopped = self._manager(spec).converge("stopped")
                time.sleep(0 if self.check_mode else stop_start_delay)
                result = self._converge(spec, "started", refresh=self.refresh)
                result["actions"] = stopped["actions"] + result["actions"]
                result["changed"] = True
                return result
            return self._converge(spec, "restarted", refresh=self.refresh)

        if not rolling and not step_delay:
            return self._parallel(names, restart)
        results = []
        for index, name in enumerate(names):
            if index and step_delay and not self.check_mode:
                time.sleep(step_delay)
            result = self._parallel([name], restart)[0]
            self._verify_started([result])
            results.append(result)
            if result["failed"]:
                results.extend(self._not_run(names[index + 1:], None))
                break
        return results

    def _not_run(self, names, level):
        why = "not run: level %d failed" % level if level else "not run: an earlier instance failed"
        return [{"instance": n, "service": self.env.instances[n]["service"], "ship": self.env.instances[n]["ship"],
                 "changed": False, "failed": False, "skipped": True, "actions": [], "reasons": [], "msg": why}
                for n in names]

    # ------------------------------------------------------------------ reporting
    def _report_level(self, number, total, level, results, command, seconds):
        for service in level["services"] or sorted({r["service"] for r in results}):
            mine = [r for r in results if r["service"] == service]
            ok = [r for r in mine if not r["failed"]]
            changed = [r for r in ok if r["changed"]]
            verb = PAST[command]
            if self.check_mode:
                verb = "would be " + verb
            if changed:
                what = "%d/%d %s" % (len(changed), len(mine), verb)
            else:
                what = "%d/%d ok, nothing to do" % (len(ok), len(mine))
            line = "level %d/%d %s: %s in %.1fs" % (number, total, service, what, seconds)
            failed = [r for r in mine if r["failed"]]
            if failed:
                line += ", %d failed" % len(failed)
            self.progress(line)
            # Say why a container was (or would be) replaced: its drift reasons.
            for r in mine:
                if r.get("reasons"):
                    self.progress("  %s on %s: %s: %s" % (r["instance"], r["ship"],
                                                          "would be recreated" if self.check_mode else "recreated",
                                                          "; ".join(r["reasons"])))

    def _summary(self, command, results, seconds):
        failed = [r for r in results if r["failed"]]
        changed = [r for r in results if r["changed"]]
        summary = {
            "changed": bool(changed),
            "failed": bool(failed),
            "command": command,
            "instances": results,
            "counts": {"total": len(results), "changed": len(changed), "failed": len(failed),
                       "skipped": sum(1 for r in results if r.get("skipped"))},
            "seconds": round(seconds, 3),
        }
        if failed:
            summary["msg"] = "; ".join(r["msg"] for r in failed)
        return summary


def status(env, instances):
    """One row per instance: where it runs and what Docker says about it."""
    wanted = [env.instances[name] for name in instances]
    ships = sorted({spec["ship"] for spec in wanted})

    def listing(ship_name):
        ship = env.ships[ship_name]
        try:
            with connection_errors(ship_name, ship["docker_url"]):
                found = connect(ship).containers(all=True)
        except ShipUnreachable as exc:
            return ship_name, exc
        by_name = {}
        for container in found:
            for name in container.get("Names") or []:
                by_name[name.lstrip("/")] = container
        return ship_name, by_name

    with ThreadPoolExecutor(max(1, min(len(ships), MAX_THREADS))) as pool:
        seen = dict(pool.map(listing, ships))
    rows = []
    for spec in wanted:
        found = seen[spec["ship"]]
        row = {"service": spec["service"], "instance": spec["name"], "ship": spec["ship"],
               "ship_ip": spec["ship_ip"], "image": spec["image"], "image_id": None, "container_id": None,
               "state": "absent", "status": "down", "ports": port_texts(spec)}
        if isinstance(found, ShipUnreachable):
            row.update(state="unknown", status="host down", error=str(found))
        elif spec["name"] in found:
            container = found[spec["name"]]
            row.update(container_id=container["Id"][:12], image_id=(container.get("ImageID") or "")[7:19],
                       state=container.get("State") or "unknown", status=container.get("Status") or "")
        rows.append(row)
    return rows


def port_texts(spec):
    texts = []
    for port in spec["ports"]:
        host = "" if port["host_ip"] == "0.0.0.0" else port["host_ip"] + ":"
        texts.append("%s:%s%s->%s/%s" % (port["name"], host, port["external"], port["exposed"], port["protocol"]))
    return texts


def status_table(rows):
    """Aligned text table (the `status` playbook prints it)."""
    header = ("SERVICE", "INSTANCE", "SHIP", "IMAGE", "STATE", "PORTS")
    lines = [header]
    for row in rows:
        image = row["image"].rsplit("/", 1)[-1]
        if row["image_id"]:
            image += "@" + row["image_id"]
        state = row["status"] if row["state"] != "absent" else "absent"
        lines.append((row["service"], row["instance"], row["ship"], image, state, " ".join(row["ports"])))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header) - 1)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line[:-1], widths)) + "  " + line[-1]
        for line in lines).rstrip()
