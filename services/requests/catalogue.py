"""Labels of request kinds and statuses, as partners read them in the portal."""

KINDS = {
    "contact_caisse": "Contacter votre organisme d'assurance Maladie",
    "etude_dossier": "Soumettre une demande d'étude de dossier",
    "suivi_ame": "Demander le suivi d'un dossier AME",
    "signalement": "Signaler une situation de difficultés d'accès aux droits et aux soins",
    "rendez_vous": "Demander un rendez-vous pour un assuré",
    "document": "Demander un document",
}

STATUSES = {
    "submitted": "Déposée",
    "in_progress": "Prise en charge",
    "waiting_partner": "En attente du partenaire",
    "answered": "Répondue",
    "closed": "Clôturée",
}

OPEN_STATUSES = ("submitted", "in_progress", "waiting_partner")
