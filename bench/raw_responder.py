"""Bench-only baseline: answers nameko-shaped requests with plain pika, no
framework, so the client-side figure can be set against the broker's own cost."""
import json
import sys

import pika


def main(amqp_uri):
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    channel = connection.channel()
    channel.exchange_declare("nameko-rpc", exchange_type="topic", durable=True)
    channel.queue_declare("rpc-bench_raw", auto_delete=True)
    channel.queue_bind("rpc-bench_raw", "nameko-rpc", routing_key="bench_raw.*")

    def on_request(ch, method, properties, body):
        request = json.loads(body)
        ch.basic_publish("nameko-rpc", properties.reply_to,
                         json.dumps({"result": request["args"][0], "error": None}),
                         pika.BasicProperties(correlation_id=properties.correlation_id,
                                              content_type="application/json"))

    channel.basic_consume("rpc-bench_raw", on_request, auto_ack=True)
    print("ready", flush=True)
    channel.start_consuming()


if __name__ == "__main__":
    main(sys.argv[1])
