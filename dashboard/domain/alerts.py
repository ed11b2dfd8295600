"""The vocabulary of security alerts: severities (worst first), statuses and source kinds."""
from __future__ import annotations

SEVERITIES = ("critical", "high", "medium", "low", "info")
SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}  # 0 is the worst
STATUSES = ("new", "acknowledged", "resolved")
OPEN_STATUSES = ("new", "acknowledged")
SOURCE_KINDS = ("probe", "siem", "webhook", "import", "manual")
# New alerts of these severities are notified (dashboard.alerts.notify).
NOTIFY_SEVERITIES = ("critical", "high")
