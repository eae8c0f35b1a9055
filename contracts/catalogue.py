"""The shared vocabulary: partner kinds, portal features, inactivation reasons.
The accounts service enforces them; the web shows them; one list for both."""

PARTNER_KINDS = ["CCAS", "CIAS", "Accueil de jour", "Association", "Tutelle / mandataire judiciaire",
                 "Aide sociale à l'enfance", "Organisme dépositaire", "PASS", "Autre"]

# Portal features a convention activates (labels as partners read them).
FEATURES = {
    "contact_caisse": "Contacter votre organisme d'assurance Maladie",
    "etude_dossier": "Soumettre une demande d'étude de dossier",
    "suivi_ame": "Demander le suivi d'un dossier AME",
    "signalement": "Signaler une situation de difficultés d'accès aux droits et aux soins",
    "rendez_vous": "Demander un rendez-vous pour un assuré",
    "document": "Demander un document",
    "actualites": "Actualités et lettre d'information",
    "historique": "Consulter l'historique des demandes",
}

INACTIVATION_REASONS = {
    "demande_partenaire": "à la demande de la structure partenaire",
    "gestionnaire": "par un gestionnaire de la structure",
    "fraude": "suspicion de fraude",
    "perte_vol": "perte ou vol des identifiants",
    "inactivite": "absence de connexion pendant le délai fixé par la caisse",
    "fin_convention": "fin de la convention avec la caisse",
    "depart": "départ ou changement de fonctions (agent de caisse)",
    "signalement": "fraude, perte ou vol signalé par la structure : en attente de la décision de la caisse",
}
# What a caisse agent may choose; a gestionnaire's reason is always "gestionnaire".
AGENT_INACTIVATION_REASONS = ("demande_partenaire", "fraude", "perte_vol")
# The caisse acts at once, the partner's gestionnaires are told, and only the caisse may reactivate.
IMMEDIATE_REASONS = ("fraude", "perte_vol")
# A partner's report of fraud, loss or theft: the account is off at once; only the caisse's decision on the
# report (services.accounts.account_requests) inactivates it for good or reactivates it.
REPORTED = "signalement"
# What an administrateur de caisse may choose for an agent of the caisse.
STAFF_INACTIVATION_REASONS = ("depart", "fraude", "perte_vol")
