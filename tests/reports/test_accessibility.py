"""Accessibility: every report's HTML passes axe-core's WCAG 2.1 A and AA rules in the system
Chromium, with 0 violations.

How: axe-core (``axe.min.js`` of the PyPI package ``axe-core-python``, a dev dependency) is
injected as an inline script into a copy of the report; a second script runs
``axe.run(document, {runOnly: {type: "tag", values: WCAG_TAGS}})`` and writes the violations
as JSON into ``<pre id="axe-result">``; headless Chromium loads the page with ``--dump-dom`` and
a virtual-time budget (it waits for the scripts), and the test reads the JSON back from the DOM.
No Playwright or Selenium.  The reports are the four notebooks' runs on their CI params, in
Dutch and in English: the runs tests/reports/test_notebooks.py and
tests/reports/test_report_language.py make too (shared by the session, see ``notebook_run`` in
tests/conftest.py).  A control page with known violations checks that the check can fail.

Skipped when no Chromium is installed (Debian: ``apt-get install chromium``; ``.ci/run``
installs it).
"""

from __future__ import annotations

import html as _html
import json
import re
import subprocess
import tempfile
from pathlib import Path

import pytest
import yaml

from effectstudy.reports.runner import CHROMIUM_FLAGS, find_chromium
from tests.reports.test_notebooks import NB, PARAMS, RUNS  # the reports checked: the CI runs

CHROMIUM = find_chromium()

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium installed (Debian: apt-get install chromium); "
                                                "the axe-core accessibility check needs a browser"),
]

#: axe-core's rule tags for WCAG 2.0 and 2.1, levels A and AA
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")


_RUNNER = """
<script>
axe.run(document, {runOnly: {type: "tag", values: %s}, resultTypes: ["violations"]})
  .then(function (r) { return r.violations.map(function (v) {
      return {id: v.id, impact: v.impact, help: v.help,
              nodes: v.nodes.map(function (n) { return {target: n.target, summary: n.failureSummary}; })};
  }); })
  .catch(function (e) { return {error: String(e)}; })
  .then(function (out) {
      var pre = document.createElement("pre");
      pre.id = "axe-result";
      pre.textContent = JSON.stringify(out);
      document.body.appendChild(pre);
  });
</script>
"""


def _axe_js() -> str:
    import axe_core_python  # noqa: PLC0415 - a dev dependency; missing, the test fails rather than skips

    return (Path(axe_core_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


def axe_violations(page: Path, tmp_dir: Path, timeout: float = 240) -> list[dict]:
    """The WCAG 2.1 A/AA violations axe-core finds in the HTML file ``page``."""
    text = page.read_text(encoding="utf-8")
    scripts = f"<script>{_axe_js()}</script>{_RUNNER % json.dumps(list(WCAG_TAGS))}"
    end = text.rfind("</body>")
    text = text[:end] + scripts + text[end:] if end >= 0 else text + scripts
    copy = tmp_dir / f"axe-{page.name}"
    copy.write_text(text, encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="es-axe-") as profile:
        cmd = [str(CHROMIUM), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=30000",
               "--dump-dom", copy.as_uri()]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    assert res.returncode == 0, res.stderr[-2000:]
    m = re.search(r'<pre id="axe-result">(.*?)</pre>', res.stdout, re.DOTALL)
    assert m, f"axe-core wrote no result for {page.name} (Chromium: {res.stderr[-1000:]})"
    out = json.loads(_html.unescape(m.group(1)))
    assert not isinstance(out, dict), f"axe-core failed on {page.name}: {out}"
    return out


def describe(violations: list[dict]) -> str:
    """One block per violation: rule id, impact, what it means, and the elements (CSS selectors)."""
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
        for node in v["nodes"][:20]:
            lines.append(f"    {' > '.join(map(str, node['target']))}")
        if len(v["nodes"]) > 20:
            lines.append(f"    ... and {len(v['nodes']) - 20} more")
    return "\n".join(lines)


def _params_lang(params: str) -> str:
    return yaml.safe_load((PARAMS / params).read_text(encoding="utf-8")).get("language", "nl")


@pytest.fixture(scope="module")
def report(notebook_run):
    """``report(name, lang)``: the HTML of notebook ``name`` on its CI params in ``lang`` (the
    same runs, with the same options, as tests/reports/test_report_language.py)."""
    def get(name: str, lang: str) -> Path:
        params = RUNS[name]
        options = {} if _params_lang(params) == lang else {"overrides": {"language": lang}}
        return notebook_run(NB / f"{name}.ipynb", PARAMS / params, **options).html

    return get


def test_control_page_violations_are_found(tmp_path):
    page = tmp_path / "control.html"
    page.write_text('<!DOCTYPE html><html><head><title>x</title></head><body><main>'
                    '<img src="data:image/png;base64,iVBORw0KGgo=">'
                    '<p style="color:#bbb;background:#fff">faint text</p></main></body></html>', encoding="utf-8")
    found = {v["id"]: v for v in axe_violations(page, tmp_path)}
    assert {"image-alt", "color-contrast", "html-has-lang"} <= set(found), describe(list(found.values()))
    assert found["image-alt"]["nodes"][0]["target"] == ["img"]


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("name", list(RUNS))
def test_report_has_no_wcag_violations(report, name, lang, tmp_path):
    page = report(name, lang)
    violations = axe_violations(page, tmp_path)
    if violations:
        print(f"axe-core violations in {page.name} ({name}, {lang}):\n{describe(violations)}")
    assert violations == [], f"{len(violations)} WCAG 2.1 A/AA rules violated in {name} ({lang}):\n{describe(violations)}"
