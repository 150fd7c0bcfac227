"""The shelter's gauges: beds per facility and population group, read at scrape time through
``usecases.beds.availability`` (the view the API shows), so they count what that view counts."""

from services.common.caller import Caller
from services.common.metrics import FunctionGauges

from .usecases.beds import availability

# Scrapes read as an administrator of the network itself; counts only, no names or addresses.
METRICS_CALLER = Caller(user="metrics", role="admin", agency="refnet")

FAMILIES = {
    "refnet_beds_available": "Beds free to offer now, per facility and population group",
    "refnet_beds_capacity": "Beds in service, per facility and population group",
    "refnet_beds_occupied": "Beds occupied, per facility and population group",
    "refnet_beds_held": "Beds held for accepted referrals not yet admitted",
}


def bed_gauges(_service_name: str, db) -> FunctionGauges:
    """The bed gauges of a shelter database, read at scrape time."""
    def rows():
        """(gauge, labels, value) of every facility and group."""
        for row in availability(db, METRICS_CALLER):
            labels = {"facility": row["facility"], "population_group": row["population_group"]}
            for name in FAMILIES:
                key = name.removeprefix("refnet_beds_")
                if row.get(key) is not None:
                    yield name, labels, row[key]
    return FunctionGauges(FAMILIES, ["facility", "population_group"], rows)
