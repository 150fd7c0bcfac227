"""Who is calling: the identity the gateway authenticated, passed to every RPC as a dict."""

from dataclasses import dataclass

from services.contracts.vocabulary import ROLES

from .errors import Forbidden, InvalidInput


@dataclass(frozen=True)
class Caller:
    user: str
    role: str
    agency: str

    @classmethod
    def from_dict(cls, data) -> "Caller":
        try:
            caller = cls(user=str(data["user"]), role=str(data["role"]), agency=str(data["agency"]))
        except (KeyError, TypeError):
            raise InvalidInput("caller identity missing", field="caller") from None
        if caller.role not in ROLES:
            raise InvalidInput("unknown role", field="caller.role")
        return caller

    def to_dict(self) -> dict:
        return {"user": self.user, "role": self.role, "agency": self.agency}

    def require(self, *roles: str) -> None:
        if self.role not in roles:
            raise Forbidden(f"role {self.role} may not do this")
