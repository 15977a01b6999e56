"""Group-robot webhooks (企业微信 / 钉钉): a text message to each configured URL.

Both robots accept the same body: {"msgtype": "text", "text": {"content": "…"}} and answer
{"errcode": 0, …} on success. URLs come from settings.RECTIFY_WEBHOOK_URLS (env RECTIFY_WEBHOOK_URLS,
comma-separated). A 钉钉 robot with 加签 security needs its secret: RECTIFY_WEBHOOK_DINGTALK_SECRET
adds `timestamp` and `sign` to DingTalk URLs. Messages are sent by the background worker so a slow
robot never blocks a page; a failing URL is logged and does not stop the others.
"""

import base64
import hashlib
import hmac
import json
import logging
import time
import urllib.parse
import urllib.request

from django.conf import settings
from django_tasks import task

log = logging.getLogger(__name__)

MAX_CONTENT_BYTES = 2000  # 企业微信 limits a text message to 2048 bytes


class WebhookError(Exception):
    pass


def webhook_urls() -> list[str]:
    return [u.strip() for u in getattr(settings, "RECTIFY_WEBHOOK_URLS", []) if u and u.strip()]


def robot_payload(text: str) -> dict:
    data = text.encode("utf-8")
    if len(data) > MAX_CONTENT_BYTES:
        text = data[: MAX_CONTENT_BYTES - 3].decode("utf-8", "ignore") + "…"
    return {"msgtype": "text", "text": {"content": text}}


def signed_url(url: str, secret: str, now_ms: int | None = None) -> str:
    """钉钉 加签: append timestamp and an HMAC-SHA256 signature of "timestamp\\nsecret"."""
    ts = str(now_ms if now_ms is not None else int(time.time() * 1000))
    digest = hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest))
    return f"{url}{'&' if '?' in url else '?'}timestamp={ts}&sign={sign}"


def webhook_post(url: str, text: str, *, timeout: float = 5.0) -> dict:
    """POST one message; raise WebhookError unless the robot answers errcode 0."""
    secret = getattr(settings, "RECTIFY_WEBHOOK_DINGTALK_SECRET", "")
    if secret and "dingtalk.com" in urllib.parse.urlsplit(url).netloc:
        url = signed_url(url, secret)
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise WebhookError(f"not an http(s) URL: {url}")
    body = json.dumps(robot_payload(text), ensure_ascii=False).encode("utf-8")
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310  # nosec B310 (scheme checked above)
            answer = json.loads(resp.read() or b"{}")
    except (OSError, ValueError) as e:
        raise WebhookError(str(e)) from e
    if answer.get("errcode", 0) != 0:
        raise WebhookError(f"robot refused: {answer}")
    return answer


@task()
def send_webhook(*, text: str, urls: list[str] | None = None) -> int:
    """Send `text` to every robot; returns how many accepted it."""
    delivered = 0
    for url in urls if urls is not None else webhook_urls():
        try:
            webhook_post(url, text)
            delivered += 1
        except WebhookError as e:
            log.warning("webhook %s failed: %s", urllib.parse.urlsplit(url).netloc, e)
    return delivered


def webhook_send(*, text: str) -> None:
    """Queue `text` for the group robots (after the current transaction commits). No URL: nothing."""
    from django.db import transaction

    urls = webhook_urls()
    if urls:
        transaction.on_commit(lambda: send_webhook.enqueue(text=text, urls=urls))
