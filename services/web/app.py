"""Flask app factory: ``gunicorn 'services.web.app:create_app()'``."""
import logging

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError, CSRFProtect
from htmx_flask import Htmx
from werkzeug.exceptions import HTTPException

from contracts.dates import date_fr, datetime_fr
from contracts.errors import FeatureNotOpen, NotAuthorized, NotFound, ServiceError
from services.web import (account_actions, config, correlation, metrics, navigation, pipeline, rate_limits,
                         security_headers, urls)
from services.web.rpc import Services
from services.web.users import login_manager
from services.web.views import BLUEPRINTS, news

csrf = CSRFProtect()
log = logging.getLogger(__name__)


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(config.from_env())
    app.config.update(overrides or {})

    correlation.init_app(app)       # first: every line of the request, a refusal's included, has its id
    Htmx(app)
    metrics.init_app(app)           # before every guard: refused requests are counted and timed too
    security_headers.init_app(app)
    rate_limits.init_app(app)       # first refusal of a flood; after the proxy fix: the client's own address
    csrf.init_app(app)              # every POST, HTMX ones included (X-CSRFToken from hx-headers)
    login_manager.init_app(app)
    Services(app)
    navigation.init_app(app)
    pipeline.init_app(app)          # after CSRFProtect: a proof of identity rides only on a checked POST
    # Mail clients send the one-click unsubscribe (RFC 8058) with no session: the token is the authority.
    csrf.exempt(news.unsubscribe)

    app.add_template_filter(date_fr, "date_fr")
    app.add_template_filter(datetime_fr, "datetime_fr")
    app.jinja_env.globals.update(account_actions.TEMPLATE_GLOBALS)
    urls.init_app(app)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    _register_error_pages(app)
    return app


REFUSAL_PAGES = ((NotAuthorized, "Accès refusé", 403), (FeatureNotOpen, "Non ouvert à votre structure", 403),
                 (NotFound, "Page introuvable", 404), (ServiceError, "Action impossible", 400))


def _register_error_pages(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return render_template("error.html", title="Formulaire expiré",
                               message="Le formulaire a expiré. Rechargez la page et recommencez."), 400

    # A service's refusal that no form shows, on any page or fragment: out of the caller's reach is a
    # 403 / 404, never the generic 400 (Flask picks the most specific class: FeatureNotOpen is a NotAuthorized).
    for error, title, status in REFUSAL_PAGES:
        app.register_error_handler(error, lambda exc, title=title, status=status: (
            render_template("error.html", title=title, message=exc.message), status))

    @app.errorhandler(413)
    def too_large(exc):
        limit = app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
        return render_template("error.html", title="Fichiers trop volumineux",
                               message=f"L'envoi dépasse {limit} Mo au total. Envoyez moins de fichiers "
                                       "ou des fichiers plus légers."), 413

    @app.errorhandler(404)
    def not_found(exc):
        return render_template("error.html", title="Page introuvable",
                               message="La page demandée n'existe pas."), 404

    @app.errorhandler(HTTPException)
    def other_http_error(exc):
        # Werkzeug's own pages would do, but ours stay in French and in the site's layout.
        return render_template("error.html", title="Requête impossible",
                               message="Cette requête ne peut pas aboutir. Revenez à l'accueil et recommencez."), \
            exc.code

    @app.errorhandler(500)
    def internal(exc):
        # Logged with its trace; the page shows neither the trace nor any version (ASVS 7.4.1).
        log.exception("unexpected error")
        return render_template("error.html", title="Erreur inattendue", incident=True,
                               message="Une erreur inattendue est survenue. Réessayez plus tard."), 500
