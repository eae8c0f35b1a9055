"""gunicorn settings shared by the dev stack and the image.

The access log keeps the path, never the query string: searches carry insured
people's names there (``/file?q=…``), and no log line may hold personal data
of an insured person (GDPR, see SECURITY.md / README)."""
accesslog = "-"
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
# gthread workers: RPC calls block on the broker, threads keep the workers responsive.
worker_class = "gthread"
