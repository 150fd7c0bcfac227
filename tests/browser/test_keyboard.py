"""The officer's and the shelter's main tasks with the keyboard only (Tab, Shift+Tab, Enter,
Space and typing; no mouse, no filling by selector): the first Tab reaches the skip link, which
is then visible and skips the header; every stop of the focus shows a visible focus ring
(an outline and a ring, by ``:focus-visible``); a refused form's error summary is an alert and
takes the focus. The officer signs in, opens the new referral form from the navigation, sends
it with a mistake, corrects it and sends it; the shelter worker signs in, opens it from the
incoming list, accepts it and admits the person."""

from tests.browser.conftest import DESKTOP, PASSWORD, reference_in

FOCUS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return "nothing has the focus";
  const s = getComputedStyle(el);
  const ring = (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2) || s.boxShadow !== "none";
  if (!ring) return "no visible focus on " + el.outerHTML.slice(0, 100);
  const box = el.getBoundingClientRect();
  if (box.width === 0 || box.height === 0) return "the focus is on something unseen: " + el.outerHTML.slice(0, 100);
  return null;
}"""


def focus_visible(page) -> None:
    problem = page.evaluate(FOCUS)
    assert problem is None, f"{page.url}: {problem}"


def tab_to(page, selector: str, limit: int = 150) -> None:
    """Press Tab until ``selector`` has the focus, checking the focus is visible at each stop."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focus_visible(page)
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{page.url}: Tab never reached {selector}")


def type_into(page, selector: str, text: str) -> None:
    tab_to(page, selector)
    page.keyboard.type(text)


def choose(page, selector: str, typed: str, value: str) -> None:
    """A select: focused with Tab, the option chosen by typing its first letters."""
    tab_to(page, selector)
    page.keyboard.type(typed)
    assert page.eval_on_selector(selector, "el => el.value") == value, selector


def tick(page, selector: str) -> None:
    tab_to(page, selector)
    if not page.eval_on_selector(selector, "el => el.checked"):
        page.keyboard.press("Space")
    assert page.eval_on_selector(selector, "el => el.checked"), selector


def skip_link_first(page) -> None:
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('skip')"), "the skip link is not first"
    focus_visible(page)
    box = page.locator("a.skip").bounding_box()
    assert box and box["x"] >= 0 and box["y"] >= 0  # shown on the page once focused


def sign_in(page, username: str) -> None:
    page.goto("/sign-in")
    skip_link_first(page)
    page.keyboard.press("Enter")  # skips the header: the next Tab is inside the main content
    assert page.url.endswith("#main")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "username"
    focus_visible(page)
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/sign-in" not in page.url


def follow(page, selector: str) -> None:
    tab_to(page, selector)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_the_officer_and_the_shelter_do_their_main_tasks_with_the_keyboard_only(people, person):
    officer = person(people["police"][0], "police", "en", viewport=DESKTOP)
    page = officer.page
    sign_in(page, people["police"][0])
    assert page.url.endswith("/police/referrals")
    skip_link_first(page)
    follow(page, "nav a[href='/police/referrals/new']")
    assert page.url.endswith("/police/referrals/new")

    # the form, with the name left out first
    choose(page, "#f-survivor-sex", "fe", "female")
    type_into(page, "#f-survivor-birth_year", "1998")
    tick(page, "#f-survivor-age_estimated")
    choose(page, "#f-survivor-nationality", "ethiopia", "ET")
    type_into(page, "#f-survivor-languages", "am, ar")
    tick(page, "#f-exploitation_types-labour")
    type_into(page, "#f-identified_place", "Erbil")
    tick(page, "#f-consent-given")
    type_into(page, "#f-consent-recorded_by", "Officer Hawre")
    type_into(page, "#f-officer-name", "Officer Hawre")
    type_into(page, "#f-officer-unit", "Erbil TIP Unit")
    tab_to(page, "#referral-form button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    # refused: the summary is an alert and has the focus, the field says why
    assert page.evaluate("document.activeElement.getAttribute('role')") == "alert"
    assert page.locator("#err-f-survivor-name").is_visible()
    type_into(page, "#f-survivor-name", "Amina K.")
    tab_to(page, "#referral-form button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_url("**/police/referrals/RN-*")
    reference = reference_in(page.url)

    # the shelter: incoming, the referral, accept, admit
    shelter = person(people["shelter"][0], "shelter", "en", viewport=DESKTOP)
    page = shelter.page
    sign_in(page, people["shelter"][0])
    assert page.url.endswith("/shelter/incoming")
    link = f"main a[href='/shelter/referrals/{reference}']"
    shelter.reload_until(lambda: page.locator(link).count() > 0, "the referral in the incoming list")
    follow(page, link)
    follow(page, "#accept")
    assert "notice=accepted" in page.url
    follow(page, "#admit-button")
    assert "notice=admitted" in page.url
    assert page.locator("#status .s-admitted, .s-admitted").count() >= 1
