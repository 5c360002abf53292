"""The closing line of every test run: what was skipped and why, or that nothing was.

    skipped 9: 5 x SSH ships: no /usr/sbin/sshd (...); 4 x registries: no docker-registry (...)

so a green run that skipped half of the integration suite is never taken for a full one.
Reasons are grouped as they are written; the lab's own skips (tests/integration/helpers/lab.py
`unavailable`) start with the area they cover.
"""

from collections import Counter


def _reason(report):
    longrepr = report.longrepr
    text = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    return text[len("Skipped: ") :] if text.startswith("Skipped: ") else text


def skip_summary(reports):
    """The closing line for these skip reports."""
    skipped = [r for r in reports if not hasattr(r, "wasxfail")]
    if not skipped:
        return "skipped: nothing"
    counts = Counter(_reason(report) for report in skipped)
    return "skipped %d: %s" % (
        len(skipped),
        "; ".join("%d x %s" % (count, reason) for reason, count in counts.most_common()),
    )


# After the terminal reporter's sessionfinish (the summary sections and the "N passed" line),
# so that this line really is the last one.
def pytest_unconfigure(config):
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None or hasattr(config, "workerinput"):  # no terminal, or an xdist worker
        return
    if any(reporter.stats.get(outcome) for outcome in ("passed", "failed", "skipped", "error")):  # tests ran
        reporter.write_line(skip_summary(reporter.stats.get("skipped", [])))
