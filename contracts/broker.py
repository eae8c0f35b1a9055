"""Where the broker is: ``AMQP_URI``, with the laptop's local RabbitMQ as the default.

A RabbitMQ cluster is one ``AMQP_URI`` listing its nodes, separated by ``;``
(``amqp://u:p@rabbit-1:5672/;amqp://u:p@rabbit-2:5672/;…``): kombu (the services,
nameko) reads that syntax as its failover list, and contracts.rpc (the web's
client) as the hosts to try in turn. A single address stays the default."""
import os

DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/"


def amqp_uri() -> str:
    return os.environ.get("AMQP_URI") or DEFAULT_AMQP_URI


def fill_in(config: dict) -> dict:
    """A nameko config (a service's config.yaml) without ``AMQP_URI``, or with an empty one, gets
    :func:`amqp_uri`: the default is written here only."""
    if not config.get("AMQP_URI"):
        config["AMQP_URI"] = amqp_uri()
    return config


def addresses(amqp_uri: str) -> list[str]:
    """The nodes of a failover list, in the order clients try them."""
    return [address.strip() for address in amqp_uri.split(";") if address.strip()]
