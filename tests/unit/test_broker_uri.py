"""An AMQP_URI naming one broker or several nodes of a cluster (kombu's failover form):
what the harness and `refnet up` read from it and how they give each process its own user."""

from refnet.local import broker_users
from refnet.local.broker import safe_uri
from services.common import broker_uri

ONE = "amqp://admin:s3cret@rabbit:5672/refnet"
THREE = ("amqp://admin:s3cret@10.0.0.1:5672/refnet;amqp://admin:s3cret@10.0.0.2:5673/refnet;"
         "amqp://admin:s3cret@10.0.0.3/refnet")


def test_a_failover_uri_is_each_node_s_uri_in_order():
    assert broker_uri.alternates(THREE) == THREE.split(";")
    assert broker_uri.alternates(ONE) == [ONE]
    assert broker_uri.alternates(" amqp://a@h1/v ; amqp://a@h2/v ;") == ["amqp://a@h1/v", "amqp://a@h2/v"]


def test_vhost_user_and_host_come_from_the_first_node():
    assert broker_uri.vhost(THREE) == "refnet"
    assert broker_uri.vhost("amqp://guest:guest@h:5672/") == "/"
    assert broker_uri.vhost("amqp://guest:guest@h:5672/refnet-test%2Fa") == "refnet-test/a"
    assert broker_uri.credentials(THREE) == ("admin", "s3cret")
    assert broker_uri.credentials("amqp://h/v") == ("guest", "guest")
    assert broker_uri.hostname(THREE) == "10.0.0.1"


def test_another_user_is_put_into_every_node_s_part():
    uri = broker_uri.with_user(THREE, "refnet-c.referral", "p@ss/word")
    parts = broker_uri.alternates(uri)
    assert parts == ["amqp://refnet-c.referral:p%40ss%2Fword@10.0.0.1:5672/refnet",
                     "amqp://refnet-c.referral:p%40ss%2Fword@10.0.0.2:5673/refnet",
                     "amqp://refnet-c.referral:p%40ss%2Fword@10.0.0.3:5672/refnet"]
    assert broker_uri.credentials(uri) == ("refnet-c.referral", "p@ss/word")
    assert broker_uri.with_user(ONE, "u", "p") == "amqp://u:p@rabbit:5672/refnet"


def test_refnet_up_gives_each_kind_its_user_at_every_node():
    uri = broker_users.uri_for(THREE, "shelter", "pw")
    assert [p.split("@")[0] for p in broker_uri.alternates(uri)] == ["amqp://refnet-shelter:pw"] * 3
    assert broker_users.management_url(THREE, None) == "http://10.0.0.1:15672"


def test_messages_show_no_password_of_any_node():
    shown = safe_uri(THREE)
    assert "s3cret" not in shown and "admin" not in shown
    assert shown == ("amqp://***@10.0.0.1:5672/refnet;amqp://***@10.0.0.2:5673/refnet;"
                     "amqp://***@10.0.0.3/refnet")
    assert safe_uri("amqp://localhost//") == "amqp://localhost//"


def test_the_uri_of_local_nodes_names_each_port_and_the_quoted_vhost():
    assert broker_uri.of_nodes([5001, 5002], "refnet-cluster") == (
        "amqp://guest:guest@127.0.0.1:5001/refnet-cluster;"
        "amqp://guest:guest@127.0.0.1:5002/refnet-cluster")
    assert broker_uri.vhost(broker_uri.of_nodes([1], "/")) == "/"


def test_kombu_reads_the_failover_uri_as_three_hosts_to_try_in_turn():
    import kombu
    conn = kombu.Connection(THREE)
    assert conn.hostname == "10.0.0.1" and conn.virtual_host == "refnet" and conn.userid == "admin"
    assert conn.alt == THREE.split(";")
