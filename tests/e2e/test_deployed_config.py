"""The deployed configuration, run: the network started as local processes with exactly the
environment ``deploy/compose.yaml`` (through ``docker-compose config``) or the Kubernetes
manifests (``deploy/k8s``) give each process, and used end to end.

Each form: real secrets (``new_secrets``) and invented passwords fill its env file or its
Secrets; the broker's vhost and users and PostgreSQL's roles and databases are made as the form
declares them (compose: the rabbitmq service's defaults and ``deploy/compose/postgres-init.sh``
itself; Kubernetes: the ``Vhost``/``Policy`` objects, the operator's default user, the
CloudNativePG roles and ``Database`` objects); the migrate container's command runs with its
environment; then two processes of each service and one gateway, from the containers'
commands, with nothing added but PATH and the ports they listen on (host names, ``0.0.0.0``
and ``/tmp`` made local: ``refnet.harness.deployed``).

Then a referral end to end (police submit, the shelter accepts and admits), a care note, the
person's goals, a screening result, a legal note, a hearing and a report; and every table of
every database is read for the planted survivor name, which the survivor's file, the care
texts and the legal note all carry. Every call is checked and the failures are reported
together, so one run shows everything the form gets wrong. Waits are polls with deadlines.
"""

import copy
import secrets
import shlex
import uuid
from datetime import date, datetime, timedelta, timezone

import pytest

from refnet import demo
from refnet.demo import seed
from refnet.harness import deployed as d
from refnet.harness.network import Network
from refnet.harness.polling import poll
from refnet.local.secrets import new_secrets
from refnet.settings import SERVICES
from tests.e2e.conftest import BROKER_WIDE_NAMES, CANONICAL

PLANTED = "Oskavelle Drummondine"
NOTE = f"{PLANTED} says the recruiter kept her passport"
GOALS = f"{PLANTED} wants to see her daughter again"
SUMMARY = f"{PLANTED} sleeps badly; weekly sessions agreed"
LEGAL_NOTE = f"{PLANTED} can testify by video link"
FACILITY = demo.FACILITY["id"]
COURT = "erbil-criminal-court"

# the forms' fixed vhost, broker users (refnet-<kind>, as `refnet up` makes them), roles and
# databases: one form at a time, never at once with test_make_up (pytest-xdist workers)
pytestmark = pytest.mark.xdist_group(BROKER_WIDE_NAMES)


def password() -> str:
    """An invented password, as an operator would generate one."""
    return secrets.token_urlsafe(18)


def derive(form: str, workdir) -> d.Deployed:
    """The form's environments from its files, filled with fresh secrets."""
    image = d.image_env((d.DEPLOY / "Dockerfile").read_text())
    keys = new_secrets()
    if form == "compose":
        env_file = workdir / "compose.env"
        env_file.write_text(d.compose_env_file((d.DEPLOY / "compose.env.example").read_text(),
                                               keys, password))
        return d.from_compose(d.compose_config(env_file), image)
    filled = {  # the Secrets the README has you create, and the one the broker operator makes
        "refnet-secrets": keys,
        **{f"refnet-db-{db}": {"username": db, "password": password()}
           for db in ("referral", "shelter", "legal", "notify", "gateway")},
        "refnet-broker-default-user": {"username": f"default_user_{uuid.uuid4().hex[:12]}",
                                       "password": password()},
        # the Topology Operator generates each User's name and password
        **{f"refnet-broker-{kind}-user-credentials": {"username": f"{kind}_{uuid.uuid4().hex[:12]}",
                                                      "password": password()}
           for kind in ("gateway", *SERVICES)},
    }
    return d.from_k8s(d.k8s_documents(), filled, image)


@pytest.fixture(params=["compose", "k8s"])
def deployed_net(request, tmp_path):
    form = derive(request.param, tmp_path)
    environments = d.local_environments(form, tmp_path)
    d.set_up_servers(form, environments)
    net = None
    try:
        d.run_migrate(form, environments)
        net = Network(tmp_path / "network", environments["gateway"]["AMQP_URI"],
                      replicas=2, process_env=environments,
                      commands={kind: shlex.join(form.commands[kind])
                                for kind in (*SERVICES, "gateway")})
        net.start()
        net.wait_ready()
        for service in SERVICES:
            net.wait_consumers(f"rpc-{service}", 2)
        # the operator's set-up of the shelter (there is no API for a new facility)
        client = seed.shelter_client(environments["gateway"]["AMQP_URI"],
                                     environments["gateway"]["REFNET_CALLER_SIGNING_KEY"])
        try:
            seed.seed_facility(client)
        finally:
            client.close()
        net.form = form
        net.databases = sorted(d.databases(environments))
        yield net
    finally:
        if net is not None:
            net.stop()
        d.tear_down_servers(form, environments)


def check(problems: list, what: str, response, status: int) -> dict | list | None:
    """Note a call that did not answer ``status``; its JSON body when it did."""
    if response.status_code != status:
        problems.append(f"{what}: {response.status_code} {response.text[:200]}")
        return None
    return response.json()


def test_the_deployed_configuration_refers_cares_represents_reports_and_keeps_names_sealed(
        deployed_net):
    net, problems = deployed_net, []
    police = net.token("police", agency=f"tip-deployed-{uuid.uuid4().hex[:6]}")
    intake, cm, psy = (net.token("shelter", user=u) for u in ("intake.demo", "cm.one", "psy.one"))
    lawyer, manager = net.token("legal"), net.token("shelter", user="manager.one")

    # a referral end to end: submitted, received, accepted (a bed held), admitted
    body = copy.deepcopy(CANONICAL)
    body["survivor"]["name"] = PLANTED
    submitted = net.api("POST", "/referrals", police, json=body)
    assert submitted.status_code == 202, submitted.text
    reference = submitted.json()["reference"]
    net.wait_status(reference, "received", police)
    file = net.api("GET", f"/referrals/{reference}", intake)
    assert file.status_code == 200 and file.json()["submission"]["survivor"]["name"] == PLANTED
    decision = net.api("POST", f"/referrals/{reference}/decision", intake, json={"decision": "accept"})
    assert decision.status_code == 200, decision.text
    net.wait_status(reference, "bed_held", police)
    admitted = net.api("POST", f"/shelters/{FACILITY}/admissions", intake,
                       json={"reference": reference, "case_manager": "cm.one"})
    assert admitted.status_code == 201, admitted.text
    plan_id = admitted.json()["plan_id"]
    net.wait_status(reference, "admitted", police)

    # care: a note, the person's goals, a screening result, each read back
    if check(problems, "care note", net.api("POST", f"/shelter/plans/{plan_id}/notes", intake,
                                           json={"text": NOTE}), 201) is not None:
        notes = check(problems, "care notes read", net.api(
            "GET", f"/shelter/plans/{plan_id}/notes", cm), 200)
        if notes is not None and [n["text"] for n in notes] != [NOTE]:
            problems.append(f"care notes read back as {notes}")
    plan = check(problems, "goals", net.api("PUT", f"/shelter/plans/{plan_id}", cm,
                                           json={"psychologist": "psy.one", "goals": GOALS}), 200)
    if plan is not None and plan["goals"] != GOALS:
        problems.append(f"goals read back as {plan['goals']!r}")
    screening = check(problems, "screening", net.api(
        "PUT", f"/shelter/plans/{plan_id}/screening", psy,
        json={"outcome": "support_recommended", "summary": SUMMARY}), 200)
    if screening is not None:
        read = check(problems, "screening read", net.api(
            "GET", f"/shelter/plans/{plan_id}/screening", cm), 200)
        if read is not None and read["summary"] != SUMMARY:
            problems.append(f"screening read back as {read}")

    # legal: a case with a note, a court case and a hearing the police and the shelter see
    poll(lambda: reference in [e["reference"] for e in net.api("GET", "/legal/eligible", lawyer).json()],
         "eligibility")
    case = net.api("POST", "/legal/cases", lawyer, json={"reference": reference, "lawyer": "lawyer.demo"})
    assert case.status_code == 201, case.text
    case_id = case.json()["case_id"]
    if check(problems, "legal note", net.api("POST", f"/legal/cases/{case_id}/notes", lawyer,
                                            json={"text": LEGAL_NOTE}), 201) is not None:
        detail = check(problems, "legal case read", net.api("GET", f"/legal/cases/{case_id}", lawyer), 200)
        if detail is not None and [n["text"] for n in detail["notes"]] != [LEGAL_NOTE]:
            problems.append(f"legal notes read back as {detail['notes']}")
    filed = net.api("POST", f"/legal/cases/{case_id}/court-cases", lawyer, json={
        "court": COURT, "case_number": f"{uuid.uuid4().hex[:6]}/2026", "standing": "victim",
        "charges": [{"statute": "law-6-2018"}]})
    assert filed.status_code == 201, filed.text
    starts = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=20)
    local = (starts + timedelta(hours=3)).replace(tzinfo=None).isoformat(timespec="seconds")
    hearing = net.api("POST", f"/court-cases/{filed.json()['court_case_id']}/hearings", lawyer, json={
        "starts_at": local, "purpose": "Testimony", "attendance_required": True})
    assert hearing.status_code == 201, hearing.text
    hearing_id = hearing.json()["hearing_id"]
    poll(lambda: "hearing_scheduled" in [e["status"] for e in net.api(
        "GET", f"/referrals/{reference}/status", police).json()["timeline"]], "the hearing at the police")
    poll(lambda: hearing_id in [h["hearing_id"] for h in net.api("GET", "/shelter/hearings", intake).json()],
         "the hearing at the shelter")

    # a report of today: every service's figures
    today = date.today().isoformat()
    report = check(problems, "report", net.api("GET", "/reports/summary", manager, params={
        "from": today, "to": today, "audience": "internal"}), 200)
    if report is not None and report["headline"]["people_admitted"] < 1:
        problems.append(f"the report counts no admission: {report['headline']}")

    # the planted name in clear in no table of any database
    leaks = d.find_in_databases(net.databases, [PLANTED, PLANTED.lower(), PLANTED.split()[1]])
    problems += [f"{PLANTED!r} in clear in {where}" for where in sorted(leaks)]
    assert problems == [], f"{net.form.form}: " + "\n".join(problems)
