"""Every environment variable the harness reads: where the test broker and database are, and
how many processes of each service a test network runs."""

from services.common.settings import Setting, Settings

SETTINGS = Settings(
    "harness",
    Setting("REFNET_TEST_AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/",
            "the RabbitMQ the harness makes a fresh virtual host on, per network"),
    Setting("REFNET_TEST_RABBIT_MANAGEMENT", "http://127.0.0.1:15672",
            "RabbitMQ's management API (vhosts, consumers); rabbitmqctl when it does not answer"),
    Setting("REFNET_TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test",
            "a PostgreSQL database the harness may create and drop databases from"),
    Setting("REFNET_TEST_REPLICAS", "1",
            "processes of each service a test network runs (make test-e2e REPLICAS=2)", int),
)

VALUES = SETTINGS.load()
