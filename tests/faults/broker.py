"""A private RabbitMQ node for the broker fault tests (devtools/rabbit_cluster.py: its own node name,
ports, data and cookie, so stopping it disturbs nobody); the fixture stops it whatever happened."""
from devtools.rabbit_cluster import RabbitNode as PrivateBroker

__all__ = ["PrivateBroker"]
