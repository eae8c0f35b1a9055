"""The request kinds: their labels, their fields and choices (what the forms show and
``validation`` checks), the statuses and the allowed transitions."""
from contracts.catalogue import FEATURES
from contracts.civilities import CIVILITIES
from contracts.departments import DEPARTMENTS

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


# --- the fields of a request: the insured person, then each kind's ------------------

FREE_TEXT_MAX = 2000
SHORT_TEXT_MAX = 120
NAME_MAX = 80
MAX_AGE_YEARS = 125
AME_FILED_MAX_AGE_YEARS = 2

HEALTH_DATA_REMINDER = ("N'indiquez aucune donnée de santé (maladie, traitement, handicap…) : "
                        "seulement les informations nécessaires au traitement de la demande.")


def _field(name, label, type, *, required=False, choices=None, max_length=None, only_if=None,
           help=None, max_age_years=None) -> dict:
    """One form field, JSON-friendly. ``only_if`` = {"field", "value"}: the field exists
    (and ``required`` applies) only when that other field has that value."""
    return {"name": name, "label": label, "type": type, "required": required, "choices": choices,
            "max_length": max_length, "only_if": only_if, "help": help, "max_age_years": max_age_years}


INSURED_FIELDS = [
    _field("civility", "Civilité", "choice", required=True, choices=CIVILITIES),
    _field("last_name", "Nom", "text", required=True, max_length=NAME_MAX),
    _field("first_name", "Prénom", "text", required=True, max_length=NAME_MAX),
    _field("birth_date", "Date de naissance", "date", required=True, max_age_years=MAX_AGE_YEARS),
    _field("department", "Département de résidence", "choice", required=True, choices=DEPARTMENTS),
]


CONTACT_SUBJECTS = {
    "droits": "Ouverture ou maintien des droits",
    "remboursements": "Remboursements",
    "carte_vitale": "Carte Vitale",
    "courrier": "Courrier reçu de la caisse",
    "autre": "Autre",
}
DOSSIER_TYPES = {
    "puma": "Protection universelle maladie (PUMa)",
    "c2s": "Complémentaire santé solidaire (C2S)",
    "ame": "Aide médicale de l'État (AME)",
    "autre": "Autre",
}
DIFFICULTIES = {
    "acces_droits": "Difficulté d'accès aux droits",
    "acces_soins": "Difficulté d'accès aux soins",
    "renoncement": "Renoncement aux soins",
    "autre": "Autre",
}
APPOINTMENT_REASONS = {
    "droits": "Ouverture ou maintien des droits",
    "dossier": "Suivi d'un dossier en cours",
    "carte_vitale": "Carte Vitale",
    "autre": "Autre",
}
WEEKDAYS = {"lundi": "Lundi", "mardi": "Mardi", "mercredi": "Mercredi", "jeudi": "Jeudi",
            "vendredi": "Vendredi"}
DAY_TIMES = {"matin": "Le matin", "apres_midi": "L'après-midi"}
CHANNELS = {
    "accueil": "À l'accueil de la caisse",
    "telephone": "Par téléphone",
    "visio": "En visioconférence",
}
DOCUMENT_TYPES = {
    "attestation_droits": "Attestation de droits",
    "notification_droits": "Notification de droits / justificatif de prestations",
    "ceam_provisoire": "Certificat provisoire de remplacement de la carte européenne (CEAM)",
    "vitale_perte_vol": "Formulaire de déclaration de perte ou vol de la carte Vitale",
    "prevention": "Offre de prévention",
    "autre": "Autre document",
}
PREVENTION_OFFERS = {
    "vaccination": "Bon de vaccination",
    "depistage": "Bon de dépistage",
    "mt_dents": "M'T dents",
    "examen_sante": "Invitation à l'examen de prévention en santé",
}

# What a caisse chooses to offer in « Demander un document » (caisse_settings): each document, each
# prevention offer on its own (« Offre de prévention » is offered when one of them is), in this order.
OFFERABLE_DOCUMENTS = {**{k: v for k, v in DOCUMENT_TYPES.items() if k not in ("prevention", "autre")},
                       **PREVENTION_OFFERS, "autre": DOCUMENT_TYPES["autre"]}


def _comment():
    return _field("comment", "Commentaire", "textarea", max_length=FREE_TEXT_MAX, help=HEALTH_DATA_REMINDER)


KIND_FIELDS = {
    "contact_caisse": [
        _field("subject", "Objet de la demande", "choice", required=True, choices=CONTACT_SUBJECTS),
        _field("message", "Votre message", "textarea", required=True, max_length=FREE_TEXT_MAX,
               help=HEALTH_DATA_REMINDER),
    ],
    "etude_dossier": [
        _field("dossier_type", "Type de dossier", "choice", required=True, choices=DOSSIER_TYPES),
        _field("dossier_other", "Précisez le type de dossier", "text", required=True,
               max_length=SHORT_TEXT_MAX, only_if={"field": "dossier_type", "value": "autre"}),
        _comment(),
    ],
    "suivi_ame": [
        _field("filed_on", "Date de dépôt du dossier AME", "date", required=True,
               max_age_years=AME_FILED_MAX_AGE_YEARS),
        _comment(),
    ],
    "signalement": [
        _field("difficulty", "Nature de la difficulté", "choice", required=True, choices=DIFFICULTIES),
        _field("description", "Description de la situation", "textarea", required=True,
               max_length=FREE_TEXT_MAX, help=HEALTH_DATA_REMINDER),
        _field("consent", "La personne a donné son consentement à ce signalement", "bool", required=True),
    ],
    "rendez_vous": [
        _field("reason", "Motif du rendez-vous", "choice", required=True, choices=APPOINTMENT_REASONS),
        _field("preferred_days", "Jours souhaités", "multichoice", required=True, choices=WEEKDAYS),
        _field("preferred_times", "Moments de la journée souhaités", "multichoice", required=True,
               choices=DAY_TIMES),
        _field("channel", "Modalité du rendez-vous", "choice", required=True, choices=CHANNELS),
        _comment(),
    ],
    "document": [
        _field("document_type", "Document demandé", "choice", required=True, choices=DOCUMENT_TYPES),
        _field("prevention_offer", "Offre de prévention", "choice", required=True, choices=PREVENTION_OFFERS,
               only_if={"field": "document_type", "value": "prevention"}),
        _comment(),
    ],
}


def form_catalogue() -> dict:
    """What the screens build their forms and labels from (the web may not import this module)."""
    return {"insured_fields": INSURED_FIELDS, "kind_fields": KIND_FIELDS, "departments": DEPARTMENTS,
            "health_data_reminder": HEALTH_DATA_REMINDER, "free_text_max": FREE_TEXT_MAX,
            "kinds": KINDS, "statuses": STATUSES}
