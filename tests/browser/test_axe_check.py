"""The accessibility check itself can fail: a control without a label, planted in a real page,
is a critical axe-core violation and ``Person.audit`` refuses the page."""

import pytest


def test_the_audit_refuses_a_page_with_an_unlabelled_control(people, person):
    officer = person(people["police"][0], "police").sign_in()
    officer.goto("/beds")
    officer.page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', "
                          "'<input type=\"text\" name=\"planted\">')")
    with pytest.raises(AssertionError, match="label"):
        officer.audit("planted-unlabelled-control")
