"""What anyone may post without signing in, per client address and for everyone together.

Each anonymous form (sign-in and its steps, forgotten password, live password check, the
links' pages, unsubscribe) sends the accounts or notifier service work that costs a password
hash or a database write. A flood of them from one address, or sprayed from many, must not
take the portal from the people already signed in: past the limit the web answers 429 at
once, before any RPC call and before anything else is done for the request (a small page,
no session). Counts use the ``limits`` library (moving window), in memory per
web process by default or in a shared store (``EP_RATE_LIMIT_STORAGE``, e.g. redis://) so
that every process and host count together. The client address is the one the trusted
proxies report (``EP_TRUSTED_PROXIES``, ProxyFix in security_headers).
"""
from flask import Flask, render_template, request
from limits import parse, storage, strategies

# The endpoints reached without a session that cost the services work (POST only: their pages are free).
ANONYMOUS_POSTS = frozenset({
    "auth.login", "auth.login_choice", "auth.login_second_factor", "auth.forgot_password", "auth.check_password",
    "auth.activation", "auth.new_password", "auth.renew_invitation", "news.unsubscribe",
})


def init_app(app: Flask) -> None:
    window = strategies.MovingWindowRateLimiter(storage.storage_from_string(app.config["EP_RATE_LIMIT_STORAGE"]))
    per_address, overall = parse(app.config["EP_RATE_LIMIT_PER_ADDRESS"]), parse(app.config["EP_RATE_LIMIT_OVERALL"])

    @app.before_request
    def limit_anonymous_posts():
        if request.method != "POST" or request.endpoint not in ANONYMOUS_POSTS:
            return None
        # The address first: a refused attempt does not use up everyone's share.
        if window.hit(per_address, "anonymous", request.remote_addr or "?") and window.hit(overall, "anonymous", "*"):
            return None
        return render_template("too_many_requests.html"), 429, {"Retry-After": "60"}
