"""Notifier service: every email of the platform goes through its outbox."""
