"""The audit trail of account actions: who, what, on whom, when.

Names are copied into each entry so the trail outlives deleted accounts.
"""
import heapq

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.accounts import access
from services.accounts.models import Account, AuditEntry

SYSTEM = "Système (tâche planifiée)"

ACTIONS = {
    "login": "Connexion",
    "login_failed": "Échec de connexion",
    "login_locked": "Verrouillage après échecs de connexion",
    "logout": "Déconnexion",
    "other_sessions_ended": "Fin des autres sessions",
    "cgu_accepted": "Acceptation des CGU",
    "password_changed": "Changement de mot de passe",
    "password_reset_requested": "Demande de réinitialisation du mot de passe",
    "account_created": "Création de compte (habilitation)",
    "invitation_resent": "Nouvel envoi du lien d'activation",
    "account_edited": "Modification du compte",
    "account_inactivated": "Inactivation du compte",
    "account_reactivated": "Réactivation du compte",
    "account_reattached": "Rattachement à un autre gestionnaire",
    "inactivity_warning": "Avertissement d'inactivité",
    "account_deleted": "Suppression automatique du compte",
    "partner_registered": "Enregistrement du partenaire",
    "partner_suspended": "Suspension de l'accès du partenaire",
    "partner_reinstated": "Rétablissement de l'accès du partenaire",
    "convention_added": "Ajout d'une convention",
    "convention_ended": "Fin de convention",
    "convention_features": "Modification des fonctionnalités de la convention",
    "convention_proposed": "Proposition de convention (SIRET déjà connu)",
    "convention_accepted": "Acceptation de la proposition de convention",
    "convention_refused": "Refus de la proposition de convention",
    "convention_updated": "Modification de la convention (fin, reconduction, préavis, référent)",
    "convention_renewed": "Reconduction tacite de la convention",
    "convention_end_notice": "Annonce de la fin prochaine de la convention",
    "partner_updated": "Modification de la fiche du partenaire",
    "review_requested": "Demande de revue des habilitations",
    "review_confirmed": "Confirmation de la revue des habilitations",
    "caisse_saved": "Enregistrement d'une caisse",
    "second_factor_failed": "Code de double authentification refusé",
    "second_factor_enrolled": "Activation de la double authentification",
    "second_factor_disabled": "Désactivation de la double authentification",
    "recovery_code_used": "Utilisation d'un code de secours",
    "recovery_codes_renewed": "Nouveaux codes de secours",
    "second_factor_reset": "Réinitialisation de la double authentification",
    "reauthenticated": "Confirmation d'identité",
    "reauthentication_failed": "Échec de confirmation d'identité",
    "password_change_failed": "Mot de passe actuel erroné (changement de mot de passe)",
    "caisse_second_factor": "Double authentification des gestionnaires (réglage de la caisse)",   # before 0008
    "caisse_admin_granted": "Attribution du rôle d'administrateur de caisse",
    "caisse_admin_removed": "Retrait du rôle d'administrateur de caisse",
    "caisse_setting": "Modification d'un paramètre de la caisse",
    "caisse_referents": "Modification des référents de la caisse",
    "email_changed": "Changement d'adresse électronique (sessions fermées, liens annulés)",
    "account_request_filed": "Demande à la caisse (habilitation, départ, modification, signalement)",
    "account_request_decided": "Décision de la caisse sur une demande de la structure",
    "account_reported": "Signalement de fraude, perte ou vol (compte coupé en attente de la caisse)",
}


def record(session: Session, action: str, actor: Account | None = None, target: Account | None = None,
           partner_id: int | None = None, caisse_id: int | None = None, details: str = "") -> None:
    """Add an entry to the session; the caller's commit makes it part of the action itself."""
    if action not in ACTIONS:        # not an assert: python -O would drop it
        raise ValueError(f"unknown audit action {action!r}")
    session.add(AuditEntry(
        actor_id=actor.id if actor else None,
        actor_name=actor.full_name if actor else SYSTEM,
        action=action,
        target_id=target.id if target else None,
        target_name=target.full_name if target else "",
        partner_id=partner_id if partner_id is not None else (target.partner_id if target else None),
        caisse_id=caisse_id if caisse_id is not None else (target.caisse_id if target else None),
        details=details[:500],
    ))


def as_row(entry: AuditEntry) -> dict:
    return {"at": entry.at.isoformat(), "actor": entry.actor_name, "action": entry.action,
            "action_label": ACTIONS[entry.action], "target": entry.target_name, "details": entry.details,
            "partner_id": entry.partner_id}


def entries(session: Session, partner_ids: list[int] | None, caisse_id: int | None, limit: int = 200) -> list[dict]:
    """Entries about the given partners (and the caisse's own), newest first: each scope key's newest
    ``limit`` along its index, merged here (a page read whatever the trail's size)."""
    newest = (AuditEntry.at.desc(), AuditEntry.id.desc())
    if partner_ids is None:
        return [as_row(e) for e in session.scalars(sa.select(AuditEntry).order_by(*newest).limit(limit))]
    keys = [AuditEntry.partner_id == p for p in sorted(set(partner_ids))]
    if caisse_id is not None:
        keys.append(AuditEntry.caisse_id == caisse_id)
    runs = [session.scalars(sa.select(AuditEntry).where(key).order_by(*newest).limit(limit)).all() for key in keys]
    merged, seen = [], set()
    for entry in heapq.merge(*runs, key=lambda e: (e.at, e.id), reverse=True):
        if entry.id not in seen:          # about one of the partners and the caisse itself: once
            seen.add(entry.id)
            merged.append(entry)
            if len(merged) == limit:
                break
    return [as_row(e) for e in merged]


def log(session: Session, actor: Account, partner_id: int | None = None, limit: int = 200) -> list[dict]:
    """What an agent reads: one of its partners' entries, or (no partner named) those of every partner
    it sees and of its caisse itself; at most 500."""
    if partner_id:
        return entries(session, [access.partner(session, actor, partner_id).id], None, min(int(limit), 500))
    return entries(session, access.visible_partner_ids(session, actor), actor.caisse_id, min(int(limit), 500))
