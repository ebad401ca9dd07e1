"""Open a local HTML file in headless Chromium and report what rendered and what the console said."""

import tempfile
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,2000",
]

# Size and content of every chart once laid out, the page's network requests, and the verdict badge.
PROBE = """
const plots = [...document.querySelectorAll('svg.plot')].map(svg => {
  const box = svg.getBoundingClientRect();
  return {width: box.width, height: box.height, marks: svg.querySelectorAll('rect').length};
});
return {
  plots: plots,
  resources: performance.getEntriesByType('resource').map(e => e.name),
  verdict: (document.getElementById('verdict') || {}).textContent,
  sections: [...document.querySelectorAll('h2')].map(h => h.textContent),
};
"""


def open_page(page: Path, chromium: str, chromedriver: str) -> tuple[dict, list[dict]]:
    """The probe's findings and the browser console's entries for one page."""
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    with tempfile.TemporaryDirectory() as profile:
        for flag in [*FLAGS, f"--user-data-dir={profile}"]:
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = webdriver.Chrome(options=options, service=Service(executable_path=chromedriver))
        try:
            driver.get(page.resolve().as_uri())
            return driver.execute_script(PROBE), driver.get_log("browser")
        finally:
            driver.quit()
