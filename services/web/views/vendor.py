"""Front-end packages installed from the npm registry at set-up, served by the
app itself (no CDN). Only listed files are reachable."""
from flask import Blueprint, abort, current_app, send_from_directory

bp = Blueprint("vendor", __name__)

SERVED = {
    "htmx.min.js": "htmx.org/dist/htmx.min.js",
}


@bp.route("/vendor/<name>")
def asset(name):
    relative = SERVED.get(name)
    if relative is None:
        abort(404)
    return send_from_directory(current_app.config["EP_VENDOR_DIR"], relative, max_age=3600)
