"""What every French public-service site publishes, public and linked from every page's footer
(navigation.FOOTER): « Accessibilité » (the RGAA statement), « Mentions légales », « Données
personnelles » (the processing, its retention periods from contracts.retention, the rights and the
caisse's data-protection contact) and « Plan du site » (navigation.site_map).

A signed-in person reads their own caisse(s)' contacts (the footer's, already cached); a visitor reads
every caisse's (accounts.public_directory, anonymous, cached too). accounts down: the page still renders,
without the contacts, saying where else to turn."""
from flask import Blueprint, render_template
from flask_login import current_user

from contracts import retention
from services.web.maintenance_windows import caisse_contacts, public_directory, user_caisses
from services.web.navigation import site_map as navigation_site_map

bp = Blueprint("legal", __name__)

# The support route of the signed-in person's report (issue 15, point 3: endpoint support.new): linked by
# its path, an accessibility problem lands in the caisse's support queue with its subject preset.
REPORT_ACCESSIBILITY = "/support/signaler?sujet=accessibilite"
STATEMENT_DATE = "2 décembre 2026"


def contacts() -> list[dict]:
    """The caisses whose contacts the page gives: the signed-in person's, or every caisse."""
    if current_user.is_authenticated:
        own = caisse_contacts(c for c in user_caisses() if c)
        if own:
            return own
    return public_directory()


@bp.route("/accessibilite")
def accessibility():
    return render_template("legal/accessibility.html", contacts=contacts(), report_url=REPORT_ACCESSIBILITY,
                           statement_date=STATEMENT_DATE)


@bp.route("/mentions-legales")
def legal_notice():
    return render_template("legal/legal_notice.html")


@bp.route("/protection-des-donnees")
def personal_data():
    rows = [(retention.plain(data), retention.plain(duration)) for data, duration, _setting, _where in retention.ROWS]
    return render_template("legal/personal_data.html", contacts=contacts(), retention=rows)


@bp.route("/plan-du-site")
def site_map():
    return render_template("legal/site_map.html", sections=navigation_site_map())
