"""The maestro command prints a run's diff as Ansible's stdout callback does (run/report.py diff_lines,
against ansible-core's own CallbackBase._get_diff: a controller test, it imports Ansible's plugins)."""

import copy

import pytest
from ansible.plugins.callback import CallbackBase

from ansible_collections.maestro.ng.plugins.module_utils.run.report import diff_lines


class _Callback(CallbackBase):
    """Ansible's own diff rendering, with the result format of this checkout's ansible.cfg or Ansible's default."""

    def __init__(self, result_format):
        super().__init__()
        self.result_format = result_format

    def get_option(self, k):
        if k == "result_format":
            return self.result_format
        if k == "pretty_results":
            return None
        raise KeyError(k)


DIFF = [
    {
        "before": {"state": "absent"},
        "after": {"state": "running"},
        "before_header": "web-1",
        "after_header": "web-1",
    },
    {
        "before": {"env.PORT": "8000", "ports": ["http:8000"], "command": "a\nb"},
        "after": {"env.PORT": "9000", "ports": ["http:9000", "admin:1"], "command": "a\nc"},
        "before_header": "web-2",
        "after_header": "web-2",
    },
]


@pytest.mark.parametrize("result_format", ["yaml", "json"])
def test_diff_lines_are_the_lines_ansible_prints(result_format, monkeypatch):
    monkeypatch.setattr("ansible.plugins.callback.stringc", lambda text, colour: text)
    ansible = _Callback(result_format)._get_diff(copy.deepcopy(DIFF))
    lines = diff_lines(copy.deepcopy(DIFF), result_format=result_format)
    assert "\n".join(lines) + "\n" == ansible
    assert [line.tone for line in lines if line.startswith(("+", "-", "@"))][:3] == ["failed", "ok", "skipped"]
    assert diff_lines([]) == []
