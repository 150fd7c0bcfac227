"""The propagation baseline: a raw kombu publish-and-consume round trip, one message at a time,
with the same durability the network uses (a durable quorum queue, persistent messages,
publisher confirms), on the benchmark's own vhost."""

import time
import uuid

import kombu

from .loadgen import percentile


def round_trips(amqp_uri: str, count: int, warmup: int = 20) -> dict:
    """The raw kombu publish-to-consume round trip, ``count`` times after ``warmup``: percentiles."""
    queue = kombu.Queue(f"bench-rtt-{uuid.uuid4().hex[:8]}", durable=True,
                        queue_arguments={"x-queue-type": "quorum"})
    samples: list[float] = []
    with kombu.Connection(amqp_uri, transport_options={"confirm_publish": True}) as pub_conn, \
            kombu.Connection(amqp_uri) as sub_conn:
        producer = kombu.Producer(pub_conn.channel())
        channel = sub_conn.channel()
        queue(channel).declare()
        received: list[float] = []

        def on_message(body, message):
            received.append(time.perf_counter())
            message.ack()

        try:
            with kombu.Consumer(channel, queues=[queue], callbacks=[on_message],
                                accept=["json"], prefetch_count=1):
                for i in range(warmup + count):
                    received.clear()
                    t = time.perf_counter()
                    producer.publish({"n": i}, routing_key=queue.name, delivery_mode=2,
                                     serializer="json", retry=False)
                    while not received:
                        sub_conn.drain_events(timeout=5)
                    if i >= warmup:
                        samples.append(received[0] - t)
        finally:
            queue(channel).delete()
    samples.sort()
    return {"count": len(samples), "p50_ms": round(percentile(samples, 50) * 1e3, 3),
            "p99_ms": round(percentile(samples, 99) * 1e3, 3),
            "mean_ms": round(sum(samples) / len(samples) * 1e3, 3)}
