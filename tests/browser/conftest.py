"""Browser tests: the whole network as real processes (refnet/harness/network.py), driven through
its web pages by headless Chromium.

Chromium is Debian's (``/usr/bin/chromium``; ``make system-deps`` or .ci/run installs it),
launched by Playwright with ``executable_path``: ``playwright install`` is never run and no
browser is downloaded. The people are created with ``refnet user create`` (the command a
deployment uses), passwords on standard input. Each test gets fresh browser contexts (cookies),
so every journey signs in as a person would.

Screenshots of every main page go to ``var/screenshots/<lang>/<role>-<page>.png`` (var/ is
ignored by git) for a person to look at.
"""

import os
import re
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from refnet.harness.broker import create_vhost, delete_vhost
from refnet.harness.network import BIN, ROOT, Network, kind_for_role

CHROMIUM = os.environ.get("REFNET_TEST_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = ROOT / "var" / "screenshots"
PASSWORD = "a long invented password 42"
PHONE = {"width": 360, "height": 740}      # a small phone: the police in the field
DESKTOP = {"width": 1280, "height": 900}   # the shelter's intake desk, the lawyer's office
# the axe-core rule tags of WCAG 2.2 level AA (and the A and AA rules of 2.0 and 2.1 it includes)
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture(scope="session")
def network(tmp_path_factory):
    name, uri = create_vhost("refnet-browser")
    net = Network(tmp_path_factory.mktemp("browser-network"), uri)
    try:
        net.prepare()
        net.start()
        net.wait_ready()
        net.seed_facility()
        yield net
    finally:
        net.stop()
        delete_vhost(name)


def create_user(network: Network, username: str, role: str, agency: str) -> str:
    """``refnet user create`` against the network's gateway database; returns the username. The
    agency is registered in the directory first (a web user names an agency it holds)."""
    network.register_agency(agency, kind_for_role(role))
    done = subprocess.run([str(BIN / "refnet"), "user", "create", "--username", username,
                           "--role", role, "--agency", agency], input=PASSWORD + "\n",
                          env=network.env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    return username


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (make system-deps)")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield launched
        launched.close()


@pytest.fixture
def people(network):
    """A police unit of the test's own and one person per role, made with `refnet user create`."""
    tag = uuid.uuid4().hex[:6]
    return {
        "police": (create_user(network, f"officer.{tag}", "police", f"tip-unit-{tag}"), f"tip-unit-{tag}"),
        "shelter": (create_user(network, f"intake.{tag}", "shelter", "erbil-shelter"), "erbil-shelter"),
        "legal": (create_user(network, f"lawyer.{tag}", "legal", "erbil-legal-aid"), "erbil-legal-aid"),
    }


class Person:
    """One browser context (its own cookies) of one person, with a page and screenshot helpers."""

    def __init__(self, browser, network, username, role, lang, viewport):
        self.context = browser.new_context(viewport=viewport, base_url=network.url,
                                           locale="en-GB")
        self.context.set_default_timeout(20_000)
        self.page = self.context.new_page()
        self.network, self.username, self.role, self.lang = network, username, role, lang
        self.viewport = viewport

    def goto(self, path: str):
        response = self.page.goto(path)
        self.check_page()
        return response

    def check_page(self):
        """Every page: the chosen language on <html>, and right to left for Arabic and Kurdish."""
        html = self.page.locator("html")
        assert html.get_attribute("lang") == self.lang
        rtl = self.lang in ("ar", "ckb")
        assert html.get_attribute("dir") == ("rtl" if rtl else "ltr")
        direction = self.page.evaluate("getComputedStyle(document.body).direction")
        assert direction == ("rtl" if rtl else "ltr")

    def sign_in(self):
        self.page.goto("/")
        assert "/sign-in" in self.page.url
        if self.lang != "en":  # the person chooses the language on the sign-in page
            self.page.select_option("#language", self.lang)
            self.page.locator("form[action='/language'] button").click()
        self.check_page()
        self.page.fill("#username", self.username)
        self.page.fill("#password", PASSWORD)
        self.page.locator("form[action='/sign-in'] button[type=submit]").click()
        self.page.wait_for_load_state()
        assert "/sign-in" not in self.page.url, self.page.content()[:2000]
        self.check_page()
        return self

    def shot(self, name: str) -> Path:
        if self.viewport["width"] <= PHONE["width"]:  # readable on a small phone: nothing sideways
            wide = self.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert wide <= 1, f"{self.page.url} is {wide}px wider than the phone"
        folder = SCREENSHOTS / self.lang
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.role}-{name}.png"
        for attempt in range(3):
            # Chromium now and then refuses one capture ("Unable to capture screenshot") and
            # takes the same picture when asked again; the picture is a record, not a check
            try:
                self.page.bring_to_front()
                self.page.screenshot(path=str(path), full_page=True)
                return path
            except Exception as refused:
                if "Unable to capture screenshot" not in str(refused) or attempt == 2:
                    raise
                time.sleep(0.5)

    def audit(self, name: str) -> list[dict]:
        """Check the page as it is now with axe-core against WCAG 2.0/2.1/2.2 A and AA, print
        every violation (rule, impact, how many nodes) to the test output, take the page's
        screenshot (``shot``), and fail on any serious or critical one. Returns the violations."""
        from axe_playwright_python.sync_playwright import Axe
        self.check_page()
        results = Axe().run(self.page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS},
                                                "resultTypes": ["violations"]})
        found = results.response.get("violations", [])
        where = f"{self.lang} {self.role}-{name} {self.page.url}"
        print(f"axe {where}: {len(found)} violation(s)"
              + "".join(f"\n  {v['impact']}: {v['id']} ({len(v['nodes'])} node(s)): {v['help']}"
                        for v in found))
        self.shot(name)
        grave = [v for v in found if v.get("impact") in ("serious", "critical")]
        assert not grave, f"axe {where}: " + "; ".join(
            f"{v['id']} at {[n['target'] for n in v['nodes']][:3]}" for v in grave)
        return found

    def reload_until(self, check, what: str, timeout: float = 30.0):
        """Reload the page until ``check()`` is true (events travel between services)."""
        deadline = time.time() + timeout
        while True:
            if check():
                return
            if time.time() > deadline:
                raise AssertionError(f"{self.role}: gave up waiting for {what} at {self.page.url}")
            time.sleep(0.3)
            self.page.reload()

    def close(self):
        self.context.close()


@pytest.fixture
def person(browser, network):
    opened = []

    def make(username, role, lang="en", viewport=DESKTOP):
        p = Person(browser, network, username, role, lang, viewport)
        opened.append(p)
        return p
    yield make
    for p in opened:
        p.close()


def reference_in(url: str) -> str:
    return re.search(r"RN-[A-Z2-7]{4}(?:-[A-Z2-7]{4}){3}", url).group(0)
