"""The demo accounts, one per role, and the language preference every account gets."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Language, UserPreference
from ..services.access import ADMIN, AGENT, ANALYST, ENTERPRISE_REP, LEARNER, PARTNER_STAFF, SUPPORT
from .state import DemoState

DEMO_ACCOUNTS = [
    {"role": ADMIN, "username": "admin", "first_name": "Isabelle", "last_name": "Gagnon",
     "email": "admin@guichet.example"},
    {"role": AGENT, "username": "agent", "first_name": "Marc-André", "last_name": "Roy",
     "email": "agent@guichet.example"},
    {"role": PARTNER_STAFF, "username": "partner", "first_name": "Sophie", "last_name": "Bouchard",
     "email": "partner@guichet.example"},
    {"role": SUPPORT, "username": "support", "first_name": "Kevin", "last_name": "Nguyen",
     "email": "support@guichet.example"},
    {"role": ANALYST, "username": "analyst", "first_name": "Nadia", "last_name": "Benali",
     "email": "analyst@guichet.example"},
    {"role": LEARNER, "username": "learner", "first_name": "Aminata", "last_name": "Diallo",
     "email": "learner@guichet.example"},
    {"role": ENTERPRISE_REP, "username": "enterprise", "first_name": "Julie", "last_name": "Lavoie",
     "email": "enterprise@guichet.example"},
]


def seed_accounts(demo: DemoState) -> None:
    """One account per role, created through FAB's security manager."""
    demo.users = {}
    for account in DEMO_ACCOUNTS:
        user = demo.sm.find_user(username=account["username"])
        if user is None:
            role = demo.sm.find_role(account["role"])
            if role is None:
                raise LookupError(f"role {account['role']} does not exist: run `flask seed-roles` first")
            user = demo.sm.add_user(account["username"], account["first_name"], account["last_name"],
                                    account["email"], role, password=demo.password, commit=False)
            if not user:
                raise RuntimeError(f"could not create the demo account {account['username']}")
        demo.users[account["username"]] = user
    demo.session.flush()
    ensure_preferences(demo.session, demo.users.values(), {})


def ensure_preferences(session: Session, users, languages: dict[int, Language]) -> None:
    """A language preference for each account that has none (French unless ``languages`` says otherwise)."""
    ids = [user.id for user in users]
    have = set(session.scalars(select(UserPreference.user_id).where(UserPreference.user_id.in_(ids))))
    session.add_all(UserPreference(user_id=uid, language=languages.get(uid, Language.FR))
                    for uid in ids if uid not in have)
