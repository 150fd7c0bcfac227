"""One broker user per process kind, and what each may configure, write and read.

RabbitMQ checks three regular expressions per user on resource names (exchanges and queues),
and, on topic exchanges, two more on routing keys (``write`` when publishing, ``read`` when
binding a queue). A process holding one kind's password can do only what that kind must:

- ``gateway`` publishes police submissions to ``referral.intake`` (default exchange) and RPC
  requests to ``nameko-rpc`` with the keys ``<service>.<method>``; it declares, binds and
  reads only its own reply queues (``rpc.reply-gateway-*``, bound with a 32-hex key), and its
  status copies' event queues (``gateway.status-*``), bound on ``refnet.events`` with the
  keys ``topology.STATUS_COPY_KEYS`` only (docs/decisions/0048); it publishes no event.
- each service declares and reads only its own queues (``rpc-<service>``, ``<service>.events``,
  and for referral ``referral.intake``), publishes only its own event types on
  ``refnet.events``, and answers RPC calls on ``nameko-rpc`` with the caller's reply key.
- the setup identity (the broker's administrator: ``AMQP_URI`` of ``refnet up``, compose's
  ``refnet`` user, the operator's default user) declares the topology and creates these users.

A service may not bind a queue with the gateway's reply key (topic read), nor read the intake
queue (unless it is referral), nor publish another service's events (topic write).

The referral service alone also reads the parking queue ``refnet.dead-letters`` and writes to
the default exchange (``amq.default``): it answers the administrators' dead-letter RPCs, listing
the parked messages and sending one back to the queue it failed in (docs/decisions/0043). The
gateway gets no such right.
"""

import re

from . import topology as t

RPC_EXCHANGE = "nameko-rpc"  # nameko's default
SERVICES = ("referral", "shelter", "legal", "notify")
KINDS = ("gateway", *SERVICES)
REPLY_KEY = "^[0-9a-f]{32}$"              # the gateway's reply routing key (uuid4().hex)
ANSWER_KEY = "^[0-9a-f-]{32,36}$"         # a reply key services may answer to (hex or uuid)
NOTHING = "^$"
DEAD_LETTER_KEEPER = "referral"           # the service whose user reads and replays dead letters


def user_name(kind: str) -> str:
    """The broker user of a process kind."""
    return f"refnet-{kind}"


def _any(*names: str) -> str:
    return "^(" + "|".join(re.escape(n) for n in names) + ")$"


def own_queues(kind: str) -> tuple[str, ...]:
    """The queues a service consumes (and so declares at its start)."""
    queues = (f"rpc-{kind}", t.event_queue_for(kind))
    return queues + ((t.INTAKE_QUEUE,) if kind == "referral" else ())


def permissions(kind: str) -> dict[str, str]:
    """The ``configure``, ``write`` and ``read`` patterns of a kind on the network's vhost."""
    if kind == "gateway":
        # declaring a queue with an exclusive reply name; binding it needs write on the queue
        # and read on the exchange; publishing needs write on the exchanges it publishes to
        # binding its status queue to the events needs read on that exchange (topic read:
        # the status copy's keys only)
        own = "rpc\\.reply-gateway-[0-9a-f]{32}|gateway\\.status-[0-9a-f]{32}"
        return {"configure": f"^({own})$",
                "write": f"^({own}|amq\\.default|nameko-rpc)$",
                "read": f"^({own}|nameko-rpc|refnet\\.events)$"}
    if kind not in SERVICES:
        raise ValueError(f"no broker user for {kind!r}")
    queues = own_queues(kind)
    # the dead-letter keeper reads the parking queue and replays by the default exchange
    parking = (t.DEAD_LETTER_QUEUE,) if kind == DEAD_LETTER_KEEPER else ()
    replay = ("amq.default",) if kind == DEAD_LETTER_KEEPER else ()
    # nameko and kombu declare the exchange a consumed queue is bound to, so the service
    # needs configure on those exchanges; a queue with a dead-letter exchange needs write on it
    return {"configure": _any(*queues, RPC_EXCHANGE, t.EVENTS_EXCHANGE),
            "write": _any(*queues, RPC_EXCHANGE, t.EVENTS_EXCHANGE, t.DEAD_LETTER_EXCHANGE,
                          *replay),
            "read": _any(*queues, RPC_EXCHANGE, t.EVENTS_EXCHANGE, *parking)}


def topic_permissions(kind: str) -> dict[str, dict[str, str]]:
    """Routing-key patterns per topic exchange: ``{exchange: {"write": ..., "read": ...}}``."""
    if kind == "gateway":
        return {RPC_EXCHANGE: {"write": "^(" + "|".join(SERVICES) + ")\\.[a-z_]+$",
                               "read": REPLY_KEY},
                t.EVENTS_EXCHANGE: {"write": NOTHING, "read": _any(*t.STATUS_COPY_KEYS)}}
    bound = t.EVENT_QUEUES[t.event_queue_for(kind)]
    return {RPC_EXCHANGE: {"write": ANSWER_KEY, "read": _any(f"{kind}.*")},
            t.EVENTS_EXCHANGE: {"write": f"^{re.escape(kind)}\\.[a-z_]+$", "read": _any(*bound)}}
