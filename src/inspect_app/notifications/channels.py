"""Sending to a channel: the message as Markdown (WeCom, DingTalk) or JSON (a webhook), signed
as each wants, over HTTP with a short timeout. One call sends one message, which may carry
several reminders when a robot is over its limit (README "Channels")."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus

import httpx

from inspect_app.i18n import current_locale, gettext
from inspect_app.models import Channel, ChannelKind
from inspect_app.notifications.kinds import sentence

TIMEOUT_S = 10.0
SIGNATURE_HEADER = "X-Inspect-Signature"
TIMESTAMP_HEADER = "X-Inspect-Timestamp"
TEXT_MAX = 3800  # WeCom takes 4096 bytes of Markdown; DingTalk about as much


_client: httpx.Client | None = None
_client_lock = threading.Lock()


def _shared_client() -> httpx.Client:
    """One client per process (thread-safe; making one costs more than a send to a robot)."""
    global _client
    with _client_lock:
        if _client is None:
            _client = httpx.Client(timeout=TIMEOUT_S, follow_redirects=False)
        return _client


class SendFailed(Exception):
    """The channel did not take the message; the text says why (kept in the delivery log)."""


@dataclass(frozen=True)
class Reminder:
    kind: str
    params: dict[str, Any]
    link: str  # a path inside the app


def _line(reminder: Reminder, base_url: str) -> tuple[str, str]:
    text = sentence(reminder.kind, reminder.params)
    url = f"{base_url}{reminder.link}" if reminder.link else ""
    return text, url


def render(reminders: Sequence[Reminder], *, locale: str, base_url: str) -> tuple[str, str]:
    """(title, Markdown) in the office's language; several reminders become one list."""
    token = current_locale.set(locale)
    try:
        lines = [_line(r, base_url) for r in reminders]
        title = gettext("inspect-app reminders") if len(lines) > 1 else lines[0][0]
    finally:
        current_locale.reset(token)
    items = [f"- {text}" + (f" [→]({url})" if url else "") for text, url in lines]
    body = "\n".join(items) if len(items) > 1 else items[0][2:]
    markdown = f"**{title}**\n\n{body}" if len(items) > 1 else body
    if len(markdown) > TEXT_MAX:
        markdown = markdown[: TEXT_MAX - 1] + "…"
    return title, markdown


def dingtalk_url(url: str, secret: str, now_ms: int) -> str:
    """DingTalk's 加签: the timestamp and the base64 HMAC-SHA256 of "timestamp\\nsecret"."""
    if not secret:
        return url
    digest = hmac.new(secret.encode(), f"{now_ms}\n{secret}".encode(), hashlib.sha256).digest()
    sign = quote_plus(base64.b64encode(digest).decode())
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}timestamp={now_ms}&sign={sign}"


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """What a receiver recomputes: HMAC-SHA256 over "timestamp." + body, in hex."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def _robot_reply(response: httpx.Response) -> None:
    """WeCom and DingTalk answer 200 with {"errcode": 0} when they took the message."""
    try:
        reply = response.json()
    except ValueError as error:
        raise SendFailed(f"HTTP {response.status_code}: not JSON") from error
    code = reply.get("errcode") if isinstance(reply, dict) else None
    if code != 0:
        message = str(reply.get("errmsg", "")) if isinstance(reply, dict) else ""
        raise SendFailed(f"errcode {code}: {message}"[:300])


def send(
    channel: Channel,
    reminders: Sequence[Reminder],
    *,
    locale: str,
    base_url: str,
    client: httpx.Client | None = None,
) -> None:
    """Send one message with `reminders` to `channel`; raises SendFailed when it is refused."""
    title, markdown = render(reminders, locale=locale, base_url=base_url)
    http = client or _shared_client()
    try:
        if channel.kind == ChannelKind.wecom:
            payload: dict[str, Any] = {"msgtype": "markdown", "markdown": {"content": markdown}}
            response = http.post(channel.url, json=payload)
        elif channel.kind == ChannelKind.dingtalk:
            payload = {"msgtype": "markdown", "markdown": {"title": title[:60], "text": markdown}}
            url = dingtalk_url(channel.url, channel.secret, int(time.time() * 1000))
            response = http.post(url, json=payload)
        else:
            body = json.dumps(
                {
                    "title": title,
                    "text": markdown,
                    "reminders": [
                        {"kind": r.kind, "params": r.params, "url": _line(r, base_url)[1]}
                        for r in reminders
                    ],
                },
                ensure_ascii=False,
                sort_keys=True,
            ).encode()
            stamp = str(int(time.time()))
            headers = {"Content-Type": "application/json", TIMESTAMP_HEADER: stamp}
            if channel.secret:
                headers[SIGNATURE_HEADER] = webhook_signature(channel.secret, stamp, body)
            response = http.post(channel.url, content=body, headers=headers)
    except httpx.HTTPError as error:
        raise SendFailed(f"{type(error).__name__}: {error}"[:300]) from error
    if not 200 <= response.status_code < 300:
        raise SendFailed(f"HTTP {response.status_code}")
    if channel.kind in (ChannelKind.wecom, ChannelKind.dingtalk):
        _robot_reply(response)
