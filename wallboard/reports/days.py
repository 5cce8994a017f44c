"""An account's reporting day: from its ``day_starts_at`` to the same local time next day.

Vendors report naive local times and call centers think in their own days, so "today" for
a Prague account is not the UTC day: a day is cut in the account's ``time_zone`` at its
``day_starts_at`` (00:00 by default; a night-shift center may choose 06:00). Across a
daylight-saving change a day lasts 23 or 25 hours.
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, timedelta

from django.conf import settings

from wallboard.monitoring.models import ProviderAccount


def account_zone(account: ProviderAccount) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(account.time_zone)


def day_bounds(account: ProviderAccount, day: date) -> tuple[datetime, datetime]:
    """The UTC instants at which ``day`` starts and ends for ``account`` (end exclusive)."""
    zone = account_zone(account)
    start = datetime.combine(day, account.day_starts_at, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), account.day_starts_at, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def day_of(account: ProviderAccount, moment: datetime) -> date:
    """The account's day that ``moment`` falls in."""
    local = moment.astimezone(account_zone(account))
    if local.time().replace(tzinfo=None) < account.day_starts_at:
        return local.date() - timedelta(days=1)
    return local.date()


def retention_cutoff(now: datetime, retention_days: int | None = None) -> datetime:
    days = settings.HISTORY_RETENTION_DAYS if retention_days is None else retention_days
    return now - timedelta(days=days)


def first_reportable_day(account: ProviderAccount, now: datetime) -> date:
    """The oldest day with history left after pruning (possibly only its later part)."""
    return day_of(account, retention_cutoff(now))
