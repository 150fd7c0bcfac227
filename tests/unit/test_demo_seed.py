"""The demo data is seeded once, into an empty network: a network with a facility keeps its
figures, and the web pages' demo people keep what an administrator did to them."""

import json

import pytest

from gateway.accounts import MemoryAccounts, hash_password, verify_password
from refnet.cli import demo as demo_cli
from refnet.demo import CAPACITY, FACILITY, seed
from refnet.demo.data import GOV_CAPACITY, GOV_FACILITY


@pytest.fixture(autouse=True)
def _cheap_hashes(monkeypatch):
    """argon2id at its smallest cost: the same code, a hundredth of the time."""
    from argon2 import PasswordHasher

    import gateway.accounts as accounts_module
    monkeypatch.setattr(accounts_module, "_hasher", PasswordHasher(time_cost=1, memory_cost=8,
                                                                   parallelism=1))


class Shelter:
    """The shelter service's set-up calls, in memory: facilities and their capacity."""

    def __init__(self, beds: dict | None = None):
        self.beds = beds or {}
        self.writes = []
        self.agencies = {}

    def call(self, service, method, caller, **kwargs):
        if service == "referral":  # the demo agencies go into the referral service's directory
            assert caller["role"] == "admin"
            if method == "list_agencies":
                return list(self.agencies.values())
            self.agencies[kwargs["agency"]] = {"id": kwargs["agency"], "names": kwargs["names"]}
            return {}
        assert (service, caller["role"]) == ("shelter", "admin")
        if method == "list_facilities":
            return [{"facility": f, "name": f} for f in sorted(self.beds)]
        if method == "availability":
            return [{"facility": f, "population_group": g, "capacity": n}
                    for f, groups in sorted(self.beds.items()) for g, n in sorted(groups.items())]
        self.writes.append(method)
        if method == "register_facility":
            self.beds.setdefault(kwargs["facility"], {})
        elif method == "set_capacity":
            self.beds[kwargs["facility"]][kwargs["population_group"]] = kwargs["capacity"]
        return {}

    def close(self):
        pass


@pytest.fixture
def network(monkeypatch, tmp_path):
    """``seed_demo`` against an in-memory shelter and account store, ``REFNET_VAR`` in tmp_path."""
    class Values:
        amqp_uri = "amqp://unused"
        gateway_database_url = "sqlite:///unused"
        token_secret = "unit-test-token-secret-" + "0123456789abcdef" * 4
        port = 8000
        caller_signing_key = "unused"

    state = {"shelter": Shelter(), "accounts": MemoryAccounts()}
    monkeypatch.setenv("REFNET_VAR", str(tmp_path))
    monkeypatch.setattr(seed, "shelter_client", lambda _uri, _key: state["shelter"])
    monkeypatch.setattr("gateway.accounts.AccountStore", lambda _url: state["accounts"])
    state["values"] = Values()
    return state


def test_an_empty_network_gets_the_demo_facility_and_people(network, tmp_path):
    seeded = demo_cli.seed_demo(network["values"])
    assert seeded["seeded"] is True
    assert network["shelter"].beds == {FACILITY["id"]: CAPACITY,
                                       GOV_FACILITY["id"]: GOV_CAPACITY}
    people = {p["username"]: p for p in seeded["people"]}
    assert set(people) == {"officer.demo", "intake.demo", "lawyer.demo", "clerk.demo", "admin.demo",
                           "analyst.demo", "return.demo"}
    for name, person in people.items():
        assert verify_password(network["accounts"].get_user(name).password_hash, person["password"])
    path = tmp_path / "demo-web-users.json"
    assert path.stat().st_mode & 0o077 == 0
    assert {p["username"]: p["password"] for p in json.loads(path.read_text())} == \
        {n: p["password"] for n, p in people.items()}
    assert set(seeded["tokens"]) >= {"officer.demo", "admin.demo", "return.demo"}
    assert people["return.demo"]["role"] == "partner"


def test_the_files_with_tokens_and_passwords_are_the_owners_alone(network, tmp_path):
    """demo-tokens.json holds an administrator's bearer token: mode 600, also when a file from
    an earlier run was readable by others."""
    for name in ("demo-tokens.json", "demo-web-users.json"):
        (tmp_path / name).write_text("[]")
        (tmp_path / name).chmod(0o644)
    demo_cli.seed_demo(network["values"])
    for name in ("demo-tokens.json", "demo-web-users.json"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o600, name
    assert "admin.demo" in (tmp_path / "demo-tokens.json").read_text()


def test_a_network_with_a_facility_keeps_its_figures(network):
    network["shelter"].beds = {FACILITY["id"]: {"women": 30, "men": 12, "children": 8}}
    seeded = demo_cli.seed_demo(network["values"])
    assert seeded["seeded"] is False
    assert network["shelter"].writes == []
    assert seeded["beds"] == {FACILITY["id"]: {"children": 8, "men": 12, "women": 30}}
    assert seeded["people"] == [] and network["accounts"].users == {}  # nobody created


def test_a_restart_changes_no_person_an_administrator_changed(network, tmp_path):
    first = {p["username"]: p["password"] for p in demo_cli.seed_demo(network["values"])["people"]}
    accounts = network["accounts"]
    accounts.disable_user("officer.demo")
    accounts.users["intake.demo"]["password_hash"] = hash_password("chosen-by-the-admin")
    written = (tmp_path / "demo-web-users.json").read_text()

    again = {p["username"]: p for p in demo_cli.seed_demo(network["values"])["people"]}
    assert accounts.get_user("officer.demo").disabled  # not re-enabled
    assert verify_password(accounts.get_user("intake.demo").password_hash, "chosen-by-the-admin")
    assert (again["officer.demo"]["password"], again["officer.demo"]["state"]) == (None, "disabled")
    assert (again["intake.demo"]["password"], again["intake.demo"]["state"]) == \
        (None, "password changed")
    assert again["lawyer.demo"]["password"] == first["lawyer.demo"]  # still the demo one
    assert (tmp_path / "demo-web-users.json").read_text() == written


def test_a_restart_checks_a_password_only_when_its_hash_is_not_the_one_kept(network, monkeypatch):
    """The hash kept beside each password says it is unchanged without an argon2 check; a hash
    that differs (another password, or the same one hashed again) is checked as before."""
    first = {p["username"]: p["password"] for p in demo_cli.seed_demo(network["values"])["people"]}
    accounts = network["accounts"]
    accounts.users["lawyer.demo"]["password_hash"] = hash_password(first["lawyer.demo"])  # again
    checked = []

    def counting(password_hash, password):
        checked.append(password)
        return verify_password(password_hash, password)
    monkeypatch.setattr("gateway.accounts.verify_password", counting)
    network["shelter"].beds = {}  # an empty shelter beside the same people: the file is rewritten
    again = {p["username"]: p for p in demo_cli.seed_demo(network["values"])["people"]}
    assert checked == [first["lawyer.demo"]]
    assert {n: (p["password"], p["state"]) for n, p in again.items()} == \
        {n: (password, None) for n, password in first.items()}


def test_an_empty_network_creates_only_the_missing_people(network):
    """A shelter database started afresh beside a gateway database that has the people: they
    stay as they are (disabled stays disabled), the missing ones are created."""
    accounts = network["accounts"]
    accounts.create_user("officer.demo", "an-admins-password", "police", "erbil-tip-unit")
    accounts.disable_user("officer.demo")
    seeded = {p["username"]: p for p in demo_cli.seed_demo(network["values"])["people"]}
    assert accounts.get_user("officer.demo").disabled
    assert verify_password(accounts.get_user("officer.demo").password_hash, "an-admins-password")
    assert seeded["officer.demo"]["state"] == "disabled"
    assert accounts.get_user("lawyer.demo") is not None and seeded["lawyer.demo"]["state"] is None


def test_a_person_whose_password_this_folder_never_had_is_not_shown_one(network, tmp_path):
    demo_cli.seed_demo(network["values"])
    (tmp_path / "demo-web-users.json").unlink()  # a new var/ beside the same gateway database
    network["shelter"].beds = {}
    seeded = {p["username"]: p for p in demo_cli.seed_demo(network["values"])["people"]}
    assert {p["state"] for p in seeded.values()} == {"password not kept here"}
    assert json.loads((tmp_path / "demo-web-users.json").read_text()) == []


def test_the_welcome_says_whether_it_seeded_and_shows_no_hidden_password(network, capsys):
    network["shelter"].beds = {FACILITY["id"]: {"women": 30}}
    network["accounts"].create_user("clerk.demo", "an-admins-password", "court", "erbil-criminal-court")
    demo_cli.show(network["values"], demo_cli.seed_demo(network["values"]))
    out = capsys.readouterr().out
    assert "nothing seeded, every figure kept" in out
    assert f"facility '{FACILITY['id']}': 30 beds (women 30)" in out
    assert "  web court    clerk.demo     (password not kept here)" in out
    assert "an-admins-password" not in out
    assert "/inbox (every page's header shows the unread count)" in out
    assert "REFNET_SMTP_HOST" in out  # email is off until an SMTP server is set, and it says so


def test_the_demo_agencies_are_registered_once_and_every_demo_user_names_one():
    from refnet.demo import data
    shelter = Shelter()
    assert seed.seed_agencies(shelter) == [a["id"] for a in data.AGENCIES]
    assert seed.seed_agencies(shelter) == []  # a second run registers nothing
    kinds = {a["id"]: a["kind"] for a in data.AGENCIES}
    from services.contracts.vocabulary import ROLE_AGENCY_KINDS
    for user in data.USERS:
        assert kinds[user["agency"]] in ROLE_AGENCY_KINDS[user["role"]], user
    assert sorted(k for k in kinds.values() if k == "shelter_provider") == ["shelter_provider"] * 2
    for agency in data.AGENCIES:
        assert set(agency["names"]) == {"en", "ar", "ckb"}


def test_every_referral_source_of_the_demo_year_is_a_demo_police_unit():
    """`refnet demo-year` registers the demo agencies before it submits: each source it submits
    as must be among them, a police unit, or the gateway refuses its tokens (agency-unknown)."""
    from refnet.demo import data, year_plan
    kinds = {a["id"]: a["kind"] for a in data.AGENCIES}
    assert {kinds.get(source) for source, _share in year_plan.SOURCES} == {"police_unit"}
    assert kinds.get(year_plan.PROVIDER) == "shelter_provider"
