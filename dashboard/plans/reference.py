"""What an imported file is checked against: the agencies (with their partner enterprise and
official codes) and the active systems. Read only; shared by the import service and the read
models."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.plans.importer import Reference
from dashboard.store.models import Agency, NationalPlatform, System


def load_reference(session: Session) -> Reference:
    agencies = session.execute(select(Agency.id, Agency.partner, Agency.official_code)).all()
    systems = session.scalars(select(System.id).where(System.active.is_(True))).all()
    return Reference(
        agencies={a.id: a.partner for a in agencies},
        official_codes={a.official_code: a.id for a in agencies if a.official_code},
        systems=frozenset(systems),
        platforms=frozenset(session.scalars(select(NationalPlatform.id)).all()),
    )
