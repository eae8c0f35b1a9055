"""« Documentation » (issue 15, point 4): the portal's downloadable documents of the person's caisses and the
national ones; the caisse's administrateur (for the caisse) and the national administrator (for everyone)
publish documents and new versions on the same page. The requests service decides who reads and who
publishes; files are downloaded through it, never from a public folder."""
from flask import Blueprint, flash, redirect, render_template, request, url_for

from contracts.profiles import PROFILES
from services.web import rpc
from services.web.request_forms import ATTACHMENT_FIELD, posted_with_one_file
from services.web.toolkit import PageForm, file_download, profiles, upload_timeout

bp = Blueprint("documentation", __name__)

FIELDS = ("category", "title", "version", "series_id", ATTACHMENT_FIELD)


@bp.route("/documentation", methods=["GET", "POST"])
@profiles(*PROFILES)
def index():
    form, status = PageForm(FIELDS), 200
    if request.method == "POST":
        published = posted_with_one_file(form, "file", lambda values, file, timeout: rpc.call(
            "requests", "publish_document", values, file, timeout=timeout))
        if published is None:
            status = 400
        else:
            flash(f"« {published['title']} » (version {published['version']}) est publié ; il est annoncé dans "
                  "les actualités et la prochaine lettre d'information.", "success")
            return redirect(url_for("documentation.index"), 303)
    listing = rpc.call("requests", "documents")
    caisse_names = {c["code"]: c["name"] for c in rpc.call("accounts", "list_caisses")}
    return render_template("documentation/index.html", listing=listing, form=form,
                           caisse_names=caisse_names), status


@bp.route("/documentation/<int:document_id>")
@profiles(*PROFILES)
def download(document_id):
    return file_download(rpc.call("requests", "download_document", document_id, timeout=upload_timeout()))
