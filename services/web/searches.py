"""List searches whose terms can name a person (an insured person in the requests' lists, a user in the
delivery log): the terms are POSTed (CSRF-checked like every form), never put in a URL, which browser
history, bookmarks and proxies keep; keyset pagination POSTs them again with the next cursor.

The other filters are still read from the URL on a GET, so the links of emails and home pages
(« /file?late=1 ») keep working; a person's name in a URL is ignored, never honoured.
"""
from htmx_flask import request

CURSOR = "apres"


def terms(names: tuple, private: tuple, limit: int = 80) -> tuple[dict, str | None]:
    """(the filters among ``names`` that were given, the cursor); ``private`` ones from a POST only."""
    posted = request.method == "POST"
    source = request.form if posted else request.args
    filters = {k: value for k in names if (value := source.get(k, "").strip()[:limit])
               and (posted or k not in private)}
    return filters, source.get(CURSOR) or None
