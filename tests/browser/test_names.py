"""The name the survivor gave, in headless Chromium over the real network (docs/decisions/0045):
shelter staff see it beside the reference on incoming, the referral, the bed board (residents,
arrivals) and the hearings; each of those page views is an audit entry of the referral service
naming the reference; the police's, the legal team's, a court's and a partner agency's pages
about the same person never contain it; no log line of any process does."""

import pytest
from sqlalchemy import select

from services.common.db import Database
from services.referral.tables import audit_log
from tests.browser.conftest import create_user
from tests.browser.test_legal_court_partner_pages import World


@pytest.fixture(scope="module")
def planted(network):
    """One person known to every agency: admitted, with a legal case, a court case and a hearing
    at the module's court, and a care-plan item referred to the module's partner agency."""
    world = World(network)
    name = f"Planted Survivor {world.tag}"
    admission = world.admitted(name)
    reference = admission["reference"]
    court_case_id, _ = world.court_case(reference)
    world.partner_referral(admission["plan_id"], reference)
    world.police_user = create_user(network, f"officer.{world.tag}", "police",
                                    f"tip-unit-{world.tag}")
    return world, name, reference, court_case_id


def _name_reads(network, reference: str) -> list[tuple]:
    db = Database(network.env["REFERRAL_DATABASE_URL"])
    try:
        with db.read() as s:
            return [(r.agency, r.outcome) for r in s.execute(select(audit_log).where(
                audit_log.c.action == "referral.read_name",
                audit_log.c.object == f"referral:{reference}"))]
    finally:
        db.dispose()


@pytest.mark.parametrize("lang", ["ar"])  # right to left; the unit tests cover every language
def test_shelter_staff_see_the_name_and_no_other_role_ever_does(planted, person, network, people,
                                                                lang):
    world, name, reference, court_case_id = planted
    reads = len(_name_reads(network, reference))

    shelter = person(people["shelter"][0], "shelter", lang).sign_in()
    for path, where in (("/shelter/incoming?status=all", "tr"),
                        ("/shelter/board", "tr"),
                        ("/hearings", "li")):
        shelter.goto(path)
        beside = shelter.page.locator(where, has_text=reference).locator(".survivor-name", has_text=name)
        assert beside.count() >= 1, path
    shelter.shot("board-names")
    shelter.goto(f"/shelter/referrals/{reference}")
    assert name in shelter.page.locator("h1").inner_text()
    # three list pages, three audited reads of the file naming the reference
    assert _name_reads(network, reference)[reads:] == [("erbil-shelter", "ok")] * 3

    others = {
        "police": (world.police_user, ["/police/referrals", f"/police/referrals/{reference}",
                                       "/hearings"]),
        "legal": (world.lawyer, ["/legal/cases", "/court-cases", f"/court-cases/{court_case_id}",
                                 "/hearings"]),
        "court": (world.clerk, ["/court-cases", f"/court-cases/{court_case_id}", "/hearings"]),
        "partner": (world.partner_user, ["/partner/referrals"]),
    }
    for role, (user, paths) in others.items():
        someone = person(user, role, lang).sign_in()
        seen = []
        for path in paths:
            someone.goto(path)
            seen.append(someone.page.content())
            assert name not in seen[-1] and "survivor-name" not in seen[-1], (role, path)
        # the pages were about the same person (a court sees the case number, not the reference)
        assert (f"{reference[-4:]}/2026" if role == "court" else reference) in "".join(seen), role
    # the legal case too (the legal team's own page of this referral)
    lawyer = person(world.lawyer, "legal", lang).sign_in()
    lawyer.page.locator("a", has_text=reference).first.click()
    assert "/legal/cases/" in lawyer.page.url and name not in lawyer.page.content()
    # nothing more was read for them, and no process logged the name
    assert len(_name_reads(network, reference)) == reads + 3
    assert name not in network.all_logs()
