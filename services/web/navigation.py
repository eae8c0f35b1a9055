"""The main menu per profile. Links appear only for screens that exist."""
from flask import current_app
from flask_login import current_user

from contracts.profiles import ADMIN_NATIONAL, AGENT_CAISSE, GESTIONNAIRE, TECHNICIEN

MENU = {
    ADMIN_NATIONAL: [("admin.caisses", "Caisses"), ("partners.index", "Partenaires"),
                       ("maintenance.index", "Maintenances"), ("delivery.index", "Courriels envoyés")],
    AGENT_CAISSE: [("requests_ui.queue", "File des demandes"), ("partners.index", "Partenaires"),
                     ("partners.invitations", "Invitations en attente"), ("partners.audit", "Journal des actions"), ("news.index", "Actualités"),
                     ("maintenance.index", "Maintenances"), ("delivery.index", "Courriels envoyés"),
                     ("personal_data.index", "Données d'une personne")],
    GESTIONNAIRE: [("requests_ui.history", "Demandes"), ("habilitations.index", "Habilitations"),
                     ("partners.invitations", "Invitations en attente"), ("news.index", "Actualités")],
    TECHNICIEN: [("requests_ui.new", "Nouvelle demande"), ("requests_ui.history", "Demandes de ma structure"),
                   ("news.index", "Actualités")],
}


def nav_links():
    if not current_user.is_authenticated:
        return []
    return [(e, label) for e, label in MENU.get(current_user.profile, []) if e in current_app.view_functions]


def init_app(app):
    app.context_processor(lambda: {"nav_links": nav_links})
