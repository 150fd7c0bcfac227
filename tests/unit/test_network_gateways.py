"""The harness runs a second gateway on a port of its own (``Network(gateways=2)``), started and
stopped with the first by the bare name ``gateway``."""

from refnet.harness.network import Network


def test_two_gateways_listen_on_two_ports_and_the_bare_name_means_both(tmp_path):
    net = Network(tmp_path, "amqp://guest:guest@127.0.0.1:5672/v", broker_users=False, gateways=2)
    assert list(net.gateway_ports) == ["gateway", "gateway.2"]
    assert net.gateway_ports["gateway"] == net.port and net.url == net.urls[0]
    assert len(set(net.urls)) == 2
    assert net.commands["gateway.2"] == net.commands["gateway"]
    assert net._expand(["gateway"]) == ["gateway", "gateway.2"]


def test_one_gateway_by_default(tmp_path):
    net = Network(tmp_path, "amqp://guest:guest@127.0.0.1:5672/v", broker_users=False)
    assert net.urls == [net.url] and "gateway.2" not in net.commands
