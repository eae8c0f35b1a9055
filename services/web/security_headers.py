"""Response headers every page carries (ASVS 14.4, 3.4): what the browser may load,
frame, sniff or send on, and keep.

The policy allows no inline script or style: HTMX is loaded from /vendor and
configured (base.html's htmx-config meta) neither to inject its indicator
<style> (app.css styles .htmx-indicator) nor to evaluate code.
"""
from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix

CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'")
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",                        # frame-ancestors for browsers that predate it
    # Not no-referrer: Flask-WTF checks the Referer of https form posts against the host.
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
HSTS = "max-age=31536000; includeSubDomains"
# Static files may be cached; pages hold personal data and must not be (ASVS 8.2.1).
CACHEABLE_ENDPOINTS = {"static", "vendor.asset"}


def init_app(app: Flask) -> None:
    if app.config.get("EP_TRUSTED_PROXIES"):
        hops = app.config["EP_TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    @app.after_request
    def secure_headers(response):
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if app.config.get("EP_HTTPS"):
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        if request.endpoint not in CACHEABLE_ENDPOINTS:
            response.headers["Cache-Control"] = "no-store"
        return response
