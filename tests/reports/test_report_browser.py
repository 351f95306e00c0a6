"""The generated HTML report in a real browser (headless Chromium): it renders with its figure
and the page makes no network request.

How: Chromium loads the file:// URL with ``--dump-dom`` (the DOM after loading),
``--screenshot`` (the rendered page) and ``--log-net-log`` (every URL request the network
stack sees).  ``--host-resolver-rules="MAP * ~NOTFOUND"`` makes sure nothing could reach the
internet anyway.  Chromium itself makes a few background requests (network time, component
updates, account check) even with the background flags; the net log marks those with the
initiator ``"not an origin"``, while requests made by the page carry the page's initiator and
a ``file://`` network isolation key.  A control page with a remote image checks that such a
request is seen.

Skipped when no Chromium is installed (Debian: ``apt-get install chromium``).
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

from effectstudy.reports.runner import CHROMIUM_FLAGS, find_chromium

NB_DIR = Path(__file__).resolve().parents[1] / "notebooks"
CHROMIUM = find_chromium()

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium installed (Debian: apt-get install chromium)"),
]

#: the bar colour of the test notebook's figure (#56B4E9), present only if the image is drawn
BAR_RGB = (0x56, 0xB4, 0xE9)


def _chromium(url: str, *extra: str, timeout: float = 90) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="es-browser-test-") as profile:
        cmd = [str(CHROMIUM), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *extra, url]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)


def _page_requests(netlog: Path) -> list[str]:
    """URLs of the requests the page made (not Chromium's own background requests)."""
    log = json.loads(netlog.read_text(encoding="utf-8"))
    start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    urls = []
    for event in log["events"]:
        p = event.get("params", {})
        if event["type"] != start or "url" not in p:
            continue
        if p.get("initiator") == "not an origin" and "file://" not in p.get("network_isolation_key", ""):
            continue  # the browser's own request, not the page's
        urls.append(p["url"])
    return urls


@pytest.fixture(scope="module")
def report(notebook_run) -> Path:
    """The test report's HTML: the run tests/reports/test_runner.py reads too (once per session)."""
    return notebook_run(NB_DIR / "report_tiny.ipynb", NB_DIR / "params" / "tiny.yaml").html


def test_report_makes_no_network_request(report, tmp_path):
    netlog = tmp_path / "net.json"
    res = _chromium(report.as_uri(), "--dump-dom", f"--log-net-log={netlog}", "--net-log-capture-mode=Default")
    assert res.returncode == 0, res.stderr[-2000:]
    requests = _page_requests(netlog)
    outside = [u for u in requests if not u.startswith(("file:", "data:"))]
    assert outside == []


def test_control_page_with_remote_image_is_detected(tmp_path):
    page = tmp_path / "control.html"
    page.write_text('<html><body><img src="http://example.invalid/x.png"></body></html>', encoding="utf-8")
    netlog = tmp_path / "net.json"
    res = _chromium(page.as_uri(), "--dump-dom", f"--log-net-log={netlog}")
    assert res.returncode == 0, res.stderr[-2000:]
    assert "http://example.invalid/x.png" in _page_requests(netlog)


def test_report_dom_has_title_and_embedded_figure(report):
    res = _chromium(report.as_uri(), "--dump-dom")
    assert res.returncode == 0, res.stderr[-2000:]
    dom = res.stdout
    assert "<title>Testrapport effectstudy</title>" in dom
    assert dom.count('src="data:image/png;base64,') == 1
    assert "<script" not in dom


def test_report_renders_its_figure(report, tmp_path):
    import matplotlib.image as mpimg

    shot = tmp_path / "shot.png"
    res = _chromium(report.as_uri(), f"--screenshot={shot}", "--window-size=1000,1600", "--hide-scrollbars")
    assert res.returncode == 0 and shot.is_file(), res.stderr[-2000:]
    img = (mpimg.imread(shot)[..., :3] * 255).round().astype(int)
    assert img.shape[0] >= 1000 and img.shape[1] >= 900
    not_white = (img < 250).any(axis=2).mean()
    assert not_white > 0.02  # text, tables and the figure are drawn: not a blank page
    bar = (np.abs(img - np.array(BAR_RGB)) <= 6).all(axis=2).sum()
    assert bar > 5000  # the bars of the embedded PNG are visible (an unloaded image would show none)
