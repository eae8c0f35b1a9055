"""How long the portal keeps each kind of personal data: the one table behind the README's
« Durées de conservation » rows and the public page « Données personnelles » (services/web/views/legal.py).
tests/test_legal_pages.py checks the README rows are these, cell for cell. Cells are in the README's
markdown (backticks for settings and modules); ``plain`` gives them as a page shows them."""
import re

# (data, how long, the setting that changes it, where the rule lives)
ROWS = (
    ('compte inactivé (inactivation, fin de convention, 3 mois sans connexion…)',
     "supprimé 6 mois après l'inactivation ; le journal des actions garde le nom",
     '`EP_PURGE_AFTER_DAYS` (183)',
     '`accounts/sweeps.purge_inactivated`'),
    ('technicien sans connexion',
     "là où la caisse l'a activé : inactivé après le délai de la caisse (90 jours, avertissement 15 jours avant), puis la ligne ci-dessus",
     '« Paramètres de la caisse » (désactivé par défaut)',
     '`accounts/sweeps`'),
    ("lien d'activation",
     'valable 7 jours, stocké haché',
     '`EP_INVITATION_DAYS` (7)',
     '`accounts/authentication`'),
    ('sessions terminées ou abandonnées',
     "supprimées après 30 jours (qui s'est connecté, depuis quoi)",
     'aucun réglage (30 jours fixés dans le code)',
     '`accounts/sessions.purge_ended`'),
    ('demandes terminées (répondues, clôturées, irrecevables), leurs historiques et pièces jointes',
     "supprimées ce nombre de jours après leur dernier changement (vérifié toutes les heures) ; une demande en cours n'est jamais supprimée ; **0 (défaut) : conservées**, la durée étant fixée par chaque caisse (sa délibération CNIL) dans l'environnement de son déploiement ; effacement à la demande d'une personne : écran « Données d'une personne » de la caisse",
     '`EP_REQUEST_RETENTION_DAYS` (0)',
     '`requests/retention.purge_finished`'),
    ('journal des courriels (destinataire, objet, dates)',
     'un courriel envoyé ou en échec en sort après ce délai ; un courriel en attente reste',
     '`EP_DELIVERY_LOG_DAYS` (365)',
     '`notifier/delivery_log.purge`'),
    ('événements entre services (`event_outbox`)',
     'supprimés dès leur publication (en général dans la seconde)',
     '—',
     '`common/event_outbox`'),
    ('demandes à la caisse (habilitation, départ, modification, signalement de fraude, perte ou vol) et leurs historiques',
     'conservées, même après la suppression du compte concerné (le signalement est la preuve que demandent les conventions) ; pas encore de purge automatique : à fixer par la caisse',
     '—',
     '`accounts/account_requests`'),
    ("signalements (support) : auteur, texte, capture d'écran, historique",
     'conservés (pas encore de purge automatique : à fixer par la caisse)',
     '—',
     '`requests/support`'),
    ("saisie conservée d'un formulaire de demande (session expirée)",
     "supprimée dès qu'elle est rechargée ou la demande déposée, sinon 24 heures après ; jamais de NIR ni de pièce jointe",
     '`EP_DRAFT_HOURS` (24)',
     '`requests/drafts.purge_expired`'),
)


def plain(cell: str) -> str:
    """A cell without its markdown (``code``, **bold**)."""
    return re.sub(r"\*\*|`", "", cell)
