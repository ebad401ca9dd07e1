"""The drift report opens in headless Chromium with its charts drawn and nothing on the console."""

from pipelines.drift.compare import compare_snapshots
from pipelines.drift.report import write_report
from tests.drift.browser import open_page
from tests.drift.test_compare import CFG, CUR, warehouse  # noqa: F401 (the shifted warehouse fixture)


def test_report_renders_its_plots_without_console_errors(warehouse, tmp_path, chromium):  # noqa: F811
    result = compare_snapshots(warehouse, CUR, CFG, tmp_path)
    page = write_report(result, tmp_path / "report.html")
    found, console = open_page(page, *chromium)
    assert [e for e in console if e["level"] in ("SEVERE", "WARNING")] == []
    assert found["verdict"] == "ALERT"
    assert found["resources"] == []  # self-contained: nothing fetched
    # distributions of the drifted features, segment share bars and a migration heatmap per segmentation
    assert len(found["plots"]) >= 5
    assert all(p["width"] > 100 and p["height"] > 100 and p["marks"] >= 4 for p in found["plots"]), found["plots"]
    assert found["sections"][:2] == ["What drifted", "Distributions, reference vs now"]
    html = page.read_text()
    assert html.index("monetary_90d") < html.index("Segment shares")  # drifted features come first


def test_the_probe_sees_console_errors(tmp_path, chromium):
    page = tmp_path / "broken.html"
    page.write_text("<!doctype html><title>x</title><script>console.error('boom')</script>")
    _, console = open_page(page, *chromium)
    assert any("boom" in e["message"] for e in console if e["level"] == "SEVERE")
