"""Who did something: a staff user or an external system. Every event records one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from apps.accounts.models import User


@dataclass(frozen=True)
class Actor:
    user: User | None = None
    system: str = ""

    @classmethod
    def of_user(cls, user: User) -> Actor:
        return cls(user=user)

    @classmethod
    def of_system(cls, name: str) -> Actor:
        return cls(system=name)

    def __str__(self) -> str:
        if self.user is not None:
            return f"user:{self.user.get_username()}"
        return f"system:{self.system or 'casetracker'}"


SYSTEM = Actor(system="casetracker")
