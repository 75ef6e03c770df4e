"""The documentation site in a real browser: Debian's Chromium, driven by Selenium through Debian's chromedriver,
reading the built site from a loopback HTTP server with no internet.

One browser session walks the site as a reader does: the home page, the nav to LeNet-5, a search for "LeNet", the
agent hierarchy (an SVG drawn in the page), the validation report with its totals. Throughout, Chrome's own logs
are read: no console error, and every request the browser made went to 127.0.0.1 (the DevTools network events of the
performance log). Screenshots go to the test's tmp_path and, when ``ODYSSEY_SCREENSHOTS`` names a directory, there too.

Nothing is downloaded: the chromedriver and browser paths are given explicitly (Selenium Manager is never asked), and
Chromium runs with background networking, component updates and sync off, in a new empty profile.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from odyssey.engine import enabled_checks
from odyssey.policy import Selection
from odyssey.project import Project

from tests.conftest import require_executable, require_module
from tests.site.conftest import REPO

pytestmark = pytest.mark.slow

CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",  # root in a container: Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",  # /dev/shm is small in containers
    "--window-size=1280,900",
)
WAIT_SECONDS = 20
ALLOWED_SCHEMES = {"data", "blob", "about", "chrome", "devtools"}  # never leave the machine


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base class's name)
        pass


@pytest.fixture(scope="module")
def site_url(built_site: Path) -> Iterator[str]:
    """The built site served on 127.0.0.1 at an ephemeral port, from a thread of this process."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(built_site)))
    thread = threading.Thread(target=server.serve_forever, name="site-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    chromium = require_executable("chromium")
    chromedriver = require_executable("chromedriver")
    webdriver = require_module("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    options.add_experimental_option("perfLoggingPrefs", {"enableNetwork": True, "enablePage": False})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=chromedriver))
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


class Screenshots:
    def __init__(self, driver: Any, directory: Path) -> None:
        self.driver = driver
        self.directory = directory
        self.extra = Path(os.environ["ODYSSEY_SCREENSHOTS"]) if os.environ.get("ODYSSEY_SCREENSHOTS") else None
        self.taken: list[Path] = []

    def take(self, name: str) -> Path:
        path = self.directory / f"{len(self.taken) + 1:02d}-{name}.png"
        assert self.driver.save_screenshot(str(path)), f"no screenshot {path}"
        if self.extra is not None:
            self.extra.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, self.extra / path.name)
        self.taken.append(path)
        return path


def requested_urls(driver: Any) -> list[str]:
    """Every URL the browser requested since the last call (DevTools Network.requestWillBeSent events)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def off_loopback(urls: list[str]) -> list[str]:
    return [url for url in urls
            if urlsplit(url).scheme not in ALLOWED_SCHEMES and urlsplit(url).hostname != "127.0.0.1"]


def console_errors(driver: Any) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def test_a_reader_walks_the_site_offline(browser: Any, site_url: str, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, WAIT_SECONDS)
    shots = Screenshots(browser, tmp_path)
    requests: list[str] = []
    errors: list[str] = []

    def checkpoint() -> None:
        requests.extend(requested_urls(browser))
        errors.extend(console_errors(browser))

    # The home page.
    browser.get(site_url)
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "article h1")))
    assert browser.find_element(By.CSS_SELECTOR, "article h1").text == "ML Odyssey Manual"
    shots.take("home")
    checkpoint()

    # Follow the nav (the header tabs) to LeNet-5.
    tab = wait.until(ec.element_to_be_clickable((By.XPATH, "//nav[contains(@class,'md-tabs')]//a[normalize-space()"
                                                           "='LeNet-5']")))
    tab.click()
    wait.until(ec.url_contains("/lenet5/"))
    heading = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "article h1"))).text
    assert "LeNet-5" in heading
    shots.take("lenet5")
    checkpoint()

    # Search for "LeNet": the bundled search (a web worker over search/search_index.json) lists results.
    box = wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, "input.md-search__input")))
    box.click()
    box.send_keys("LeNet")
    results = wait.until(
        ec.visibility_of_all_elements_located((By.CSS_SELECTOR, ".md-search-result__item"))
    )
    meta = browser.find_element(By.CSS_SELECTOR, ".md-search-result__meta").text
    assert results and re.search(r"\d+ matching document", meta), meta
    assert any("lenet" in item.text.lower() for item in results)
    shots.take("search-lenet")
    box.send_keys(Keys.ESCAPE)
    checkpoint()

    # The agent catalog: the delegation hierarchy is an SVG drawn in the page, with a box per agent.
    browser.get(site_url + "validation/agents/")
    svg = wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, ".odyssey-agent-hierarchy svg")))
    assert svg.size["width"] > 200 and svg.size["height"] > 100
    boxes = svg.find_elements(By.CSS_SELECTOR, "rect")
    catalog = browser.find_elements(By.CSS_SELECTOR, "article h3")
    assert len(catalog) >= 2 and len(boxes) >= len(catalog)
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", svg)
    shots.take("agents-hierarchy")
    checkpoint()

    # The results page: the plots (PNGs the build added from benchmarks/results/) are loaded and decoded.
    browser.get(site_url + "lenet5/results/")
    plots = wait.until(ec.presence_of_all_elements_located((By.CSS_SELECTOR, "article img[src*='lenet5-results/']")))
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", plots[0])
    wait.until(lambda driver: all(driver.execute_script("return arguments[0].complete && "
                                                        "arguments[0].naturalWidth > 0", img) for img in plots))
    assert len(plots) >= 3
    shots.take("results-plots")
    checkpoint()

    # The validation report: the totals per severity add up to the findings the summary states, and the totals
    # per check list every check family.
    browser.get(site_url + "validation/report/")
    summary = wait.until(ec.presence_of_element_located((By.XPATH, "//h2[starts-with(normalize-space(),"
                                                                   "'Summary')]/following-sibling::p[1]"))).text
    stated = re.search(r"(\d+) findings? in \d+ of (\d+) files checked", summary)
    assert stated, summary
    severity_rows = browser.find_elements(
        By.XPATH, "//h2[starts-with(normalize-space(),'Summary')]/following::table[1]//tbody/tr")
    counts = {row.find_elements(By.TAG_NAME, "td")[0].text: int(row.find_elements(By.TAG_NAME, "td")[1].text)
              for row in severity_rows}
    assert set(counts) == {"error", "warning", "info"}
    assert sum(counts.values()) == int(stated.group(1))
    assert int(stated.group(2)) > 10
    check_cells = browser.find_elements(
        By.XPATH, "//h2[starts-with(normalize-space(),'Totals per check')]/following::table[1]//tbody/tr/td[1]")
    project = Project(REPO)
    selection = Selection(select=project.config.select, ignore=project.config.ignore)
    assert {cell.text for cell in check_cells} == {check.family for check in enabled_checks(project, selection)}
    shots.take("report")
    checkpoint()

    assert errors == []
    assert requests, "the performance log recorded no request: the network check saw nothing"
    assert any(url.startswith(site_url + "search/") for url in requests), "the search index was never fetched"
    assert off_loopback(requests) == []
    assert all(path.stat().st_size > 10_000 for path in shots.taken)
