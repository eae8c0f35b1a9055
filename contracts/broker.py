"""Where the broker is: ``AMQP_URI``, with the laptop's local RabbitMQ as the default."""
import os

DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/"


def amqp_uri() -> str:
    return os.environ.get("AMQP_URI") or DEFAULT_AMQP_URI
