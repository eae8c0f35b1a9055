"""One rule for HTMX fragments: an HTMX request gets the fragment alone; a
plain request (no JavaScript, a reload, a bookmarked link) gets it inside a page."""
from flask import render_template
from htmx_flask import request


def partial_or_page(template: str, title: str, **context):
    if request.htmx:
        return render_template(template, **context)
    return render_template("fragment_page.html", fragment=template, title=title, **context)
