"""Accounts and teams as typed into their forms (or given to `inspect-app create-user`)."""

from __future__ import annotations

from dataclasses import dataclass

from inspect_app.bounds import FormFields


@dataclass(frozen=True)
class AccountFields(FormFields):
    """What was typed for an account; `accounts.service` checks it. An empty password on an
    edit keeps the current one."""

    username: str = ""
    password: str = ""
    role: str = ""
    display_name: str = ""
    phone: str = ""
    subdistrict_id: str = ""
    city_wide: bool = False
    active: bool = False

    KEEP_SPACES = ("password",)


@dataclass(frozen=True)
class TeamFields(FormFields):
    """What was typed for a team."""

    name_zh: str = ""
    name_en: str = ""
    subdistrict_id: str = ""
    active: bool = True
