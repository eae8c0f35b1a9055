"""The main menu per profile. Links appear only for screens that exist."""
from flask import current_app
from flask_login import current_user

from contracts.profiles import ADMIN_NATIONAL, AGENT_CAISSE, GESTIONNAIRE, PARTNER_USERS, PROFILE_LABELS, TECHNICIEN

MENU = {
    ADMIN_NATIONAL: [("admin.caisses", "Caisses"), ("staff.agents", "Agents des caisses"), ("partners.index", "Partenaires"),
                       ("maintenance.index", "Maintenances"), ("delivery.index", "Courriels envoyés"),
                       ("statistics.page", "Statistiques"), ("supervision.index", "Supervision")],
    AGENT_CAISSE: [("requests_ui.queue", "File des demandes"), ("account_requests.queue", "Demandes des partenaires"), ("partners.index", "Partenaires"),
                     ("partners.invitations", "Invitations en attente"), ("partners.audit", "Journal des actions"), ("news.index", "Actualités"),
                     ("maintenance.index", "Maintenances"), ("delivery.index", "Courriels envoyés"),
                     ("personal_data.index", "Données d'une personne"), ("statistics.page", "Statistiques"), ("supervision.index", "Supervision")],
    GESTIONNAIRE: [("requests_ui.history", "Demandes"), ("habilitations.index", "Habilitations"),
                     ("account_requests.index", "Demandes à la caisse"),
                     ("conventions.index", "Conventions"),
                     ("partners.invitations", "Invitations en attente"), ("news.index", "Actualités")],
    TECHNICIEN: [("requests_ui.new", "Nouvelle demande"), ("requests_ui.history", "Demandes de ma structure"),
                   ("news.index", "Actualités"), ("account_requests.index", "Fraude, perte ou vol")],
}


# Everyone signed in (issue 15): the documentation, reporting a problem and following one's reports; the
# caisse's agents and national support also work their queue of reports.
EVERYONE_MENU = [("documentation.index", "Documentation"), ("support.new", "Signaler un dysfonctionnement"),
                 ("support.mine", "Mes signalements")]
SUPPORT_QUEUE = {ADMIN_NATIONAL: [("support.queue", "Support national")],
                 AGENT_CAISSE: [("support.queue", "Signalements à traiter")]}


# Partner screens a convention must open, shown only then (the services refuse them anyway).
FEATURE_OF = {"requests_ui.history": "historique", "news.index": "actualites"}


def _opened(endpoint: str, user=current_user) -> bool:
    feature = FEATURE_OF.get(endpoint)
    return feature is None or user.profile not in PARTNER_USERS or \
        any(feature in (c.get("features") or []) for c in user.caisses or [])


# What an agent holding the role « administrateur de caisse » has besides (services/web/views/staff.py).
CAISSE_ADMIN_MENU = [("staff.agents", "Agents de la caisse"), ("staff.settings", "Paramètres de la caisse")]


def nav_links():
    user = current_user._get_current_object()       # read a dozen times: once through the proxy
    if not user.is_authenticated:
        return []
    links = (MENU.get(user.profile, []) + SUPPORT_QUEUE.get(user.profile, []) + EVERYONE_MENU
             + (CAISSE_ADMIN_MENU if user.caisse_admin else []))
    views = current_app.view_functions
    return [(e, label) for e, label in links if e in views and _opened(e, user)]


# What every French public-service site publishes, linked from every page's footer, signed in or not
# (services/web/views/legal.py); the site map lists them with the pages of signing in.
FOOTER = [("legal.accessibility", "Accessibilité : partiellement conforme"), ("legal.legal_notice", "Mentions légales"),
          ("legal.personal_data", "Données personnelles"), ("legal.site_map", "Plan du site")]
SIGNED_OUT = [("auth.login", "Connexion"), ("auth.forgot_password", "Mot de passe oublié")]
ACCOUNT = [("home.index", "Accueil"), ("auth.account", "Mon compte")]


def site_map() -> list[dict]:
    """« Plan du site », from the menus above (never a second list): a signed-in person's own pages;
    a visitor's public pages, then what each profile reaches once signed in (listed, not linked)."""
    if current_user.is_authenticated:
        return [{"title": "Vos pages", "links": ACCOUNT + nav_links()}, {"title": "Pages publiques", "links": FOOTER}]
    profiles = [{"title": f"Après connexion : {PROFILE_LABELS[profile]}", "linked": False,
                 "links": [(e, label) for e, label in ACCOUNT + menu + (CAISSE_ADMIN_MENU if profile == AGENT_CAISSE else [])
                           if e in current_app.view_functions]}
                for profile, menu in MENU.items()]
    return [{"title": "Pages publiques", "links": SIGNED_OUT + FOOTER}, *profiles]


def init_app(app):
    app.context_processor(lambda: {"nav_links": nav_links, "opened": _opened, "footer_links": FOOTER})
