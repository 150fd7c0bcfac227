"""Who is calling: the identity the gateway authenticated, sent with every RPC as a dict and
handed to a service method as a ``Caller`` (``services.common.runtime.entrypoints.rpc``)."""

from dataclasses import dataclass

from services.contracts.identities import USER_MAX
from services.contracts.vocabulary import ROLES

from .errors import Forbidden, InvalidInput


@dataclass(frozen=True)
class Caller:
    """A user, their role and agency, and the id of the request they made (audit entries
    carry it)."""

    user: str
    role: str
    agency: str
    correlation_id: str | None = None

    def __post_init__(self):
        # a user id fits the columns that store it (created_by, approved_by, ...) whole: a rule
        # comparing a stored, cut id with the caller's whole one would never see them equal
        if not self.user or len(self.user) > USER_MAX:
            raise InvalidInput(f"a user id is 1 to {USER_MAX} characters", field="caller.user")

    @classmethod
    def from_dict(cls, data) -> "Caller":
        """The caller of an RPC's identity dict (a ``Caller`` is taken as it is); a missing
        field or an unknown role is ``InvalidInput``."""
        if isinstance(data, Caller):
            return data
        try:
            caller = cls(user=str(data["user"]), role=str(data["role"]), agency=str(data["agency"]),
                         correlation_id=data.get("correlation_id"))
        except (KeyError, TypeError, AttributeError):
            raise InvalidInput("caller identity missing", field="caller") from None
        if caller.role not in ROLES:
            raise InvalidInput("unknown role", field="caller.role")
        return caller

    def to_dict(self) -> dict:
        """The identity as sent over RPC (without the request id)."""
        return {"user": self.user, "role": self.role, "agency": self.agency}

    def require(self, *roles: str) -> None:
        """Refuse (``Forbidden``) unless the caller has one of ``roles``."""
        if self.role not in roles:
            raise Forbidden(f"role {self.role} may not do this")
