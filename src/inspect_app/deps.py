"""Names of the request dependencies that handlers declare (see app.py for the providers)."""

from __future__ import annotations

from litestar.di import NamedDependency
from sqlmodel import Session

from inspect_app.settings import Settings

DbSession = NamedDependency[Session]
AppSettings = NamedDependency[Settings]
