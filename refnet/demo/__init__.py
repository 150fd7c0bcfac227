"""The invented demo data: agencies, users and the facility (``data``, re-exported here so
``from refnet import demo; demo.USERS`` reads as it says), ``refnet seed-demo``'s seeding
(``seed``), and the invented first year of the shelter (``year_plan``, driven through the API by
``year``). Every name is invented."""

from .data import CAPACITY, FACILITY, SAMPLE_REFERRAL, USERS

__all__ = ["CAPACITY", "FACILITY", "SAMPLE_REFERRAL", "USERS"]
