"""Labels of request kinds and statuses, and the allowed transitions."""
from contracts.catalogue import FEATURES

# The request kinds are the portal features that create a request.
KINDS = {k: FEATURES[k] for k in ("contact_caisse", "etude_dossier", "suivi_ame", "signalement", "rendez_vous",
                                  "document")}

STATUSES = {
    "submitted": "Déposée",
    "in_progress": "Prise en charge",
    "waiting_partner": "En attente du partenaire",
    "answered": "Répondue",
    "closed": "Clôturée",
    "not_admissible": "Irrecevable",
}

OPEN_STATUSES = ("submitted", "in_progress", "waiting_partner")
UNTREATED_STATUSES = ("submitted", "in_progress")          # flagged when late

# action -> (statuses it applies to, resulting status (None: unchanged), who may do it, message required)
ACTIONS = {
    "take": (("submitted",), "in_progress", "caisse", False),
    "ask": (("in_progress",), "waiting_partner", "caisse", True),
    "reply": (("waiting_partner",), "in_progress", "partner", True),
    "answer": (("in_progress", "waiting_partner"), "answered", "caisse", True),
    "close": (("in_progress", "waiting_partner", "answered"), "closed", "caisse", False),
    "reject": (("submitted", "in_progress"), "not_admissible", "caisse", True),
    "message": (OPEN_STATUSES + ("answered",), None, "both", True),
}

ACTION_LABELS = {
    "take": "Prendre en charge",
    "ask": "Demander des compléments au partenaire",
    "reply": "Répondre à la caisse",
    "answer": "Répondre et transmettre",
    "close": "Clôturer",
    "reject": "Déclarer irrecevable",
    "message": "Envoyer un message",
}
