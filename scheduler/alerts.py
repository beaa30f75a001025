"""Alerts on failed and suspect runs: always logged, and sent by e-mail (SMTP) and/or to a webhook (JSON POST).

Alerts carry site names, run numbers, statuses and check results only: never ad data.
Delivery problems are logged, never raised: an alert must not stop the scheduler.
"""
from __future__ import annotations

import json
import logging
import smtplib
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.message import EmailMessage
from typing import Any

from config.settings import Settings
from scheduler.health import Review, describe

logger = logging.getLogger(__name__)
TIMEOUT_S = 10

_STATUS_SV = {"failed": "misslyckad", "suspect": "misstänkt", "partial": "ofullständig", "complete": "komplett"}


@dataclass(frozen=True)
class Alert:
    """One thing an operator should know about; `summary` and `details` are in Swedish."""

    event: str  # run_failed, run_suspect, crawl_process_failed, job_failed, scheduler_stopped
    summary: str
    details: tuple[str, ...] = ()
    site: str | None = None
    run_id: int | None = None
    status: str | None = None
    checks: tuple[dict[str, Any], ...] = ()
    at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    def payload(self) -> dict[str, Any]:
        return {
            "source": "lagesbild",
            "host": socket.gethostname(),
            "event": self.event,
            "site": self.site,
            "run_id": self.run_id,
            "status": self.status,
            "checks": list(self.checks),
            "text": self.summary,
            "details": list(self.details),
            "time": self.at.isoformat(timespec="seconds"),
        }


def alert_for_review(review: Review) -> Alert | None:
    """The alert a reviewed run calls for (failed or suspect), or None for a healthy run."""
    run = review.run
    if not review.needs_alert:
        return None
    status_sv = _STATUS_SV.get(run.status, run.status)
    details = [describe(check, "sv") for check in review.failed_checks]
    if run.note:
        details.append(f"notering: {run.note}")
    details.append(f"sidor {run.pages}, annonser {run.items}, fel {run.errors}, tolkningsfel {run.parse_failures}")
    return Alert(
        event="run_suspect" if run.status == "suspect" else "run_failed",
        summary=f"lagesbild: körning {run.id} av {run.site} är {status_sv}",
        details=tuple(details),
        site=run.site,
        run_id=run.id,
        status=run.status,
        checks=review.failed_checks,
    )


def send_email(settings: Settings, alert: Alert) -> None:
    message = EmailMessage()
    message["Subject"] = alert.summary
    message["From"] = settings.smtp_from
    message["To"] = ", ".join(settings.alert_recipients)
    message.set_content("\n".join([alert.summary, "", *alert.details, "",
                                   f"Tid: {alert.at:%Y-%m-%d %H:%M:%S} UTC, värd: {socket.gethostname()}",
                                   "Se `lagesbild runs` och `lagesbild status`."]))
    assert settings.smtp_host is not None
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT_S) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_user:
            password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
            smtp.login(settings.smtp_user, password)
        smtp.send_message(message)


def post_webhook(settings: Settings, alert: Alert) -> None:
    assert settings.alert_webhook_url is not None
    request = urllib.request.Request(
        settings.alert_webhook_url,
        data=json.dumps(alert.payload()).encode("utf-8"),
        headers={"Content-Type": "application/json", "User-Agent": "lagesbild-alerts"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:  # noqa: S310 (operator-set URL)
        response.read()


def deliver(settings: Settings, alert: Alert) -> list[str]:
    """Log the alert and send it on every configured channel; return the channels that took it."""
    logger.warning("%s%s", alert.summary, "".join(f"; {line}" for line in alert.details))
    delivered = []
    if settings.smtp_host and settings.alert_recipients:
        try:
            send_email(settings, alert)
            delivered.append("email")
        except (OSError, smtplib.SMTPException) as exc:
            logger.error("could not e-mail the alert via %s:%s: %s", settings.smtp_host, settings.smtp_port, exc)
    if settings.alert_webhook_url:
        try:
            post_webhook(settings, alert)
            delivered.append("webhook")
        except (OSError, urllib.error.URLError, ValueError) as exc:
            logger.error("could not post the alert to the webhook: %s", exc)
    return delivered


def review_and_alert(store, settings: Settings, run_ids: list[int]) -> list[Review]:
    """Health-check finished runs, mark them suspect when needed, and alert on failed and suspect ones."""
    from scheduler.health import review_run

    reviews = []
    for run_id in run_ids:
        review = review_run(store, settings, run_id)
        reviews.append(review)
        alert = alert_for_review(review)
        if alert is not None:
            deliver(settings, alert)
    return reviews
