"""Sign-in, tokens, the current user and password reset."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from shared.passwords import NewPassword
from shared.types import Email


class Role(StrEnum):
    AGENT = "agent"
    TEAM_LEADER = "team_leader"
    MANAGER = "manager"
    ADMIN = "admin"


class Contract(BaseModel):
    """Base of every request body: unknown fields are a validation error."""

    model_config = ConfigDict(extra="forbid")


class User(BaseModel):
    """A user as the API shows it (never the password hash)."""

    id: str
    email: str
    name: str
    role: Role
    active: bool
    team_id: str | None = None
    employee_code: str | None = None
    version: int


class Me(User):
    """The signed-in user with the teams in their scope."""

    team_ids: list[str]


class LoginRequest(Contract):
    email: Email
    password: str = Field(min_length=1, max_length=1024)


class TokenPair(BaseModel):
    """What a login or a refresh returns."""

    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int
    user: User


class RefreshRequest(Contract):
    refresh_token: str = Field(min_length=1, max_length=512)


class PasswordResetRequest(Contract):
    email: Email


class PasswordResetAccepted(BaseModel):
    """The same answer whether or not the email is known."""

    detail: str = "If the address belongs to an account, a reset link has been sent."


class PasswordResetConfirm(Contract):
    token: str = Field(min_length=1, max_length=512)
    new_password: NewPassword
