"""Shared message contracts of the referral network.

Every service imports this package and nothing else of another service: the event envelope,
each event's payload schema (versioned: a change is a new version, never an edit in place),
the intake command that carries a police submission over the broker, and the names of the
exchanges and queues that make up the broker topology.
"""
