"""What pages, the notice and the API show of a link: its short URL, its QR code (SVG, made
here by segno: no network), and its state for staff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

import segno
from litestar import Request
from sqlmodel import Session

from inspect_app.auth.service import CurrentUser
from inspect_app.links import service
from inspect_app.models import BusinessLink
from inspect_app.settings import Settings
from inspect_app.timezone import today_in

PATH = "/n/"


def base_url(request: Request, settings: Settings) -> str:
    """PUBLIC_URL when set (what the business's phone reaches), else this request's own base."""
    return settings.public_url or str(request.base_url).rstrip("/")


def url_of(link: BusinessLink, base: str, settings: Settings) -> str:
    return f"{base}{PATH}{service.token_of(link, settings.secret_key)}"


@lru_cache(maxsize=256)
def qr_svg(url: str) -> str:
    """The QR code as an SVG data URI for an <img> (error correction M, dark on white with its
    quiet zone): the same markup in the page and the PDF, allowed by the CSP's `img-src data:`."""
    code = segno.make_qr(url, error="m")
    return str(code.svg_data_uri(scale=4, border=4, dark="#000", light="#fff"))


@dataclass(frozen=True)
class Panel:
    """The staff controls' data: the newest link of the site, if any."""

    site_id: int
    state: str  # none, active, expired, revoked, replaced
    url: str = ""
    qr: str = ""
    expires_on: date | None = None
    created_at: datetime | None = None
    revoked_at: datetime | None = None


def panel(
    *, session: Session, user: CurrentUser, site_id: int, request: Request, settings: Settings
) -> Panel:
    link = service.for_staff(session=session, user=user, site_id=site_id)
    if link is None:
        return Panel(site_id=site_id, state="none")
    state = service.state_of(
        session=session,
        link=link,
        today=today_in(settings.time_zone),
        days=settings.business_link_days,
        time_zone=settings.time_zone,
    )
    url = url_of(link, base_url(request, settings), settings)
    return Panel(
        site_id=site_id,
        state=state.state,
        url=url,
        qr=qr_svg(url) if state.works else "",
        expires_on=state.expires_on,
        created_at=link.created_at,
        revoked_at=link.revoked_at,
    )


def on_notice(
    *, session: Session, site_id: int, request: Request, settings: Settings
) -> dict[str, str] | None:
    """The site's current link for the notice sheet: {url, qr}; None when it has none that
    works (revoked, expired)."""
    link = service.current(session=session, site_id=site_id)
    if link is None:
        return None
    state = service.state_of(
        session=session,
        link=link,
        today=today_in(settings.time_zone),
        days=settings.business_link_days,
        time_zone=settings.time_zone,
    )
    if not state.works:
        return None
    url = url_of(link, base_url(request, settings), settings)
    return {"url": url, "qr": qr_svg(url)}
