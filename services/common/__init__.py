"""Runtime kit shared by the nameko services (never by the web): config from
the environment, the per-service database dependency with its migrations, and
the verified caller identity."""
