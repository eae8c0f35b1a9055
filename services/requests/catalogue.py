"""Labels of request kinds and statuses, as partners read them in the portal."""
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
}

OPEN_STATUSES = ("submitted", "in_progress", "waiting_partner")
