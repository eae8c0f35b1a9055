"""The web front end: Flask + HTMX. Holds the session only; all data comes
from the services over RPC (see ``services.web.rpc``)."""
