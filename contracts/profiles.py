"""The four profiles and their groups: one vocabulary for the web and every service."""

ADMIN_NATIONAL = "admin_national"
AGENT_CAISSE = "agent_caisse"
GESTIONNAIRE = "gestionnaire"
TECHNICIEN = "technicien"

PROFILES = (ADMIN_NATIONAL, AGENT_CAISSE, GESTIONNAIRE, TECHNICIEN)
AGENTS = (AGENT_CAISSE, ADMIN_NATIONAL)            # the caisse side (the national admin sees every caisse)
PARTNER_USERS = (GESTIONNAIRE, TECHNICIEN)         # a partner structure's staff

PROFILE_LABELS = {
    ADMIN_NATIONAL: "Administrateur national",
    AGENT_CAISSE: "Agent de caisse",
    GESTIONNAIRE: "Gestionnaire",
    TECHNICIEN: "Technicien",
}
