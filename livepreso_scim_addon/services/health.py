"""How an instance's SCIM connection is doing, for the top of the HQ SCIM page.

The rule (shown on the page too):
- *never connected*: no live token of the instance has ever been used;
- *failing*: at least one refused request in the last 24 hours, and the latest refusal is
  newer than the latest change a token made (any event with a token, except refusals and
  routine 404s after deletes);
- *connected* otherwise.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from ..models.scim import ScimEvent, ScimToken, ScimTraffic, utcnow
from .audit import AuditAction

WINDOW = dt.timedelta(hours=24)
RECENT_FAILURES = 3
#: Events of a token that say nothing about the connection working: refusals, and the
#: 404s Okta gets for what it already deleted ("gone", recorded apart from failures).
_NOT_SUCCESSES = (AuditAction.FAILED.value, "gone")


@dataclass(frozen=True)
class Failure:
    at: dt.datetime
    request: str
    status: int | None
    detail: str

    def __str__(self) -> str:
        """ "PATCH /scim/v2/acme/Groups/… refused (400): the detail"."""
        status = f" ({self.status})" if self.status is not None else ""
        detail = f": {self.detail}" if self.detail else ""
        return f"{self.request or 'A request'} refused{status}{detail}"


@dataclass(frozen=True)
class ConnectionHealth:
    status: str  # "never", "connected" or "failing"
    last_used_at: dt.datetime | None
    last_token_label: str | None
    last_token_id: str | None
    requests: int  # in the last 24 hours, as the processes have written them (a minute late at most)
    failures: int  # in the last 24 hours
    recent_failures: list[Failure]

    @property
    def words(self) -> str:
        return {"never": "Never connected", "connected": "Connected", "failing": "Failing"}[self.status]


class HealthService:
    """The connection health of one instance; four small queries, none of them per token."""

    def __init__(self, db, instance_id: int):
        self.db, self.instance_id = db, instance_id

    def health(self, now: dt.datetime | None = None) -> ConnectionHealth:
        now = now or utcnow()
        since = now - WINDOW
        last = self.db.execute(
            select(ScimToken.id, ScimToken.label, ScimToken.last_used_at)
            .where(
                ScimToken.instance_id == self.instance_id,
                ScimToken.revoked_at.is_(None),
                ScimToken.last_used_at.is_not(None),
            )
            .order_by(ScimToken.last_used_at.desc())
            .limit(1)
        ).first()
        # An hour's row counts when the hour began within the window: the current hour
        # is in, the one that began 24 hours ago is out.
        requests = self.db.scalar(
            select(func.coalesce(func.sum(ScimTraffic.requests), 0)).where(
                ScimTraffic.instance_id == self.instance_id, ScimTraffic.hour > since
            )
        )
        failed = ScimEvent.action == AuditAction.FAILED.value
        recent = self.db.execute(
            select(ScimEvent.at, ScimEvent.request, ScimEvent.status, ScimEvent.detail)
            .where(ScimEvent.instance_id == self.instance_id, failed, ScimEvent.at >= since)
            .order_by(ScimEvent.pk.desc())
            .limit(RECENT_FAILURES)
        ).all()
        failures = 0
        if recent:
            failures = len(recent) if len(recent) < RECENT_FAILURES else self.db.scalar(
                select(func.count()).select_from(ScimEvent).where(
                    ScimEvent.instance_id == self.instance_id, failed, ScimEvent.at >= since
                )
            )
        if last is None:
            status = "never"
        elif recent and recent[0].at > (self._last_success() or dt.datetime.min):
            status = "failing"
        else:
            status = "connected"
        return ConnectionHealth(
            status=status,
            last_used_at=last.last_used_at if last else None,
            last_token_label=last.label if last else None,
            last_token_id=last.id if last else None,
            requests=int(requests or 0),
            failures=failures,
            recent_failures=[Failure(r.at, r.request or "", r.status, r.detail or "") for r in recent],
        )

    def _last_success(self) -> dt.datetime | None:
        return self.db.scalar(
            select(func.max(ScimEvent.at)).where(
                ScimEvent.instance_id == self.instance_id,
                ScimEvent.token_id.is_not(None),
                ScimEvent.action.not_in(_NOT_SUCCESSES),
            )
        )
