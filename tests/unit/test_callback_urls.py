"""Where partner callbacks may go (§7, SSRF): https only in cloud stages, no user info, no internal
host names, no address that is not public in any of the forms URL parsers read; loopback in the
local stage only, by a setting a cloud stage refuses to start with."""

from __future__ import annotations

import ipaddress

import pytest

from chalicelib import config
from chalicelib.domain.callback_urls import (
    CLOUD_POLICY, CallbackPolicy, address_problem, literal_address, request_target, url_problem)

LOCAL = CallbackPolicy(https_only=False, allow_loopback=False)
LOCAL_WITH_SINK = CallbackPolicy(https_only=False, allow_loopback=True)

INTERNAL = [
    # the list (finding 3), each with what is said about it
    ("https://169.254.169.254/latest/meta-data/iam/", "cloud metadata address"),
    ("https://127.0.0.1/cb", "loopback address"),
    ("https://localhost/cb", "must not name localhost"),
    ("https://[::1]/cb", "loopback address"),
    ("https://0.0.0.0/cb", "unspecified address"),
    ("https://10.0.0.1/cb", "private address"),
    ("https://2130706433/cb", "loopback address"),
    ("https://127.1/cb", "loopback address"),
    ("https://metadata.google.internal/computeMetadata/v1/", "cloud metadata service"),
    ("https://user:pass@partner.example/cb", "user name or password"),
    # and their relatives
    ("https://user@partner.example/cb", "user name or password"),
    ("https://partner.example\\@127.0.0.1/cb", "user name or password"),
    ("https://0x7f.0.0.1/cb", "loopback address"),
    ("https://0177.0.0.1/cb", "loopback address"),
    ("https://0x7f000001/cb", "loopback address"),
    ("https://127.0.0.1./cb", "loopback address"),
    ("https://app.localhost/cb", "must not name localhost"),
    ("https://[::ffff:127.0.0.1]/cb", "loopback address"),
    ("https://[::ffff:a9fe:a9fe]/cb", "cloud metadata address"),
    ("https://[fd00:ec2::254]/cb", "cloud metadata address"),
    ("https://[fe80::1%25eth0]/cb", "link-local address"),
    ("https://[fc00::1]/cb", "private address"),
    ("https://[::]/cb", "unspecified address"),
    ("https://[64:ff9b::a9fe:a9fe]/cb", "cloud metadata address"),
    ("https://169.254.170.2/v2/credentials", "cloud metadata address"),
    ("https://100.100.100.200/latest/meta-data/", "cloud metadata address"),
    ("https://169.254.1.1/cb", "link-local address"),
    ("https://172.16.0.1/cb", "private address"),
    ("https://192.168.1.1/cb", "private address"),
    ("https://100.64.0.1/cb", "shared (carrier-grade NAT) address"),
    ("https://224.0.0.251/cb", "multicast address"),
    ("https://[ff02::1]/cb", "multicast address"),
    ("https://240.0.0.1/cb", "reserved address"),
    ("https://255.255.255.255/cb", "reserved address"),
    ("https://192.0.2.10/cb", "private address"),
    ("https://instance-data/latest/", "cloud metadata service"),
    ("https://metadata.tencentyun.com/latest/", "cloud metadata service"),
    ("https://db.internal/cb", "public host"),
    ("https://printer.local/cb", "public host"),
    ("https://intranet/cb", "public host"),
    ("https://1.2.3.4.5/cb", "neither a valid address"),
    ("https://256.0.0.1/cb", "neither a valid address"),
    ("https://part%41ner.example/cb", "neither a valid address"),
]


@pytest.mark.parametrize(("url", "said"), INTERNAL, ids=[url for url, _ in INTERNAL])
@pytest.mark.parametrize("policy", [CLOUD_POLICY, LOCAL], ids=["cloud", "local"])
def test_an_internal_callback_url_is_refused_saying_why(url, said, policy):
    problem = url_problem(url, policy)
    assert problem and said in problem


@pytest.mark.parametrize("url", ["https://127.0.0.1:8001/callbacks", "http://127.0.0.1:8001/callbacks",
                                 "http://localhost:8001/callbacks", "http://[::1]:8001/callbacks",
                                 "http://127.1:8001/callbacks"])
def test_the_local_stage_may_allow_loopback_for_its_sink(url):
    assert url_problem(url, LOCAL_WITH_SINK) is None
    assert "loopback" in url_problem(url.replace("http:", "https:"), CLOUD_POLICY) or "localhost" in url_problem(
        url.replace("http:", "https:"), CLOUD_POLICY)


@pytest.mark.parametrize("url", ["https://10.0.0.1/cb", "https://169.254.169.254/", "https://0.0.0.0/",
                                 "https://metadata.google.internal/", "https://u:p@127.0.0.1/"])
def test_allowing_loopback_allows_nothing_else(url):
    assert url_problem(url, LOCAL_WITH_SINK)


def test_cloud_stages_take_https_only_and_the_local_stage_http_too():
    assert url_problem("http://partner.example/cb", CLOUD_POLICY) == "must use https"
    assert url_problem("http://partner.example/cb", LOCAL) is None
    assert url_problem("https://partner.example:8443/hooks/hewei?source=hw", CLOUD_POLICY) is None
    assert url_problem("https://93.184.216.34/cb", CLOUD_POLICY) is None  # a public address is one


@pytest.mark.parametrize(("host", "address"), [
    ("127.0.0.1", "127.0.0.1"), ("127.1", "127.0.0.1"), ("2130706433", "127.0.0.1"), ("0x7f.1", "127.0.0.1"),
    ("0177.0.0.01", "127.0.0.1"), ("10.1", "10.0.0.1"), ("192.168.257", "192.168.1.1"), ("0x", "0.0.0.0"),
    ("8.8.8.8.", "8.8.8.8"), ("[::1]", "::1"), ("::ffff:7f00:1", "::ffff:127.0.0.1"),
    ("partner.example", None), ("1.example", None), ("example.0x1g", None)])
def test_literal_addresses_are_read_as_url_parsers_read_them(host, address):
    assert literal_address(host) == (ipaddress.ip_address(address) if address else None)


@pytest.mark.parametrize("host", ["1.2.3.4.5", "256.1.1.1", "1.16777216", "08.0.0.1", "1.0x100.1.1"])
def test_a_host_that_ends_in_a_number_but_is_no_address_is_no_host(host):
    with pytest.raises(ValueError):
        literal_address(host)


def test_addresses_a_host_resolves_to_are_judged_alike():
    assert address_problem(ipaddress.ip_address("93.184.216.34"), CLOUD_POLICY) is None
    assert address_problem(ipaddress.ip_address("2606:2800:220:1:248:1893:25c8:1946"), CLOUD_POLICY) is None
    assert address_problem(ipaddress.ip_address("10.0.0.1"), CLOUD_POLICY) == "must not be a private address"
    assert address_problem(ipaddress.ip_address("127.0.0.1"), LOCAL_WITH_SINK) is None


def test_the_request_target_is_the_path_and_query():
    assert request_target("https://partner.example") == "/"
    assert request_target("https://partner.example/hooks/hewei?source=hw#frag") == "/hooks/hewei?source=hw"


# ------------------------------------------------------------------ the setting


@pytest.fixture
def fresh_settings(monkeypatch):
    config.settings.cache_clear()
    yield monkeypatch
    config.settings.cache_clear()


def test_the_local_stage_reads_the_loopback_setting(fresh_settings):
    fresh_settings.setenv("HEWEI_STAGE", "local")
    fresh_settings.setenv("HEWEI_CALLBACK_ALLOW_LOOPBACK", "1")
    assert config.settings().callback_policy == CallbackPolicy(https_only=False, allow_loopback=True)
    config.settings.cache_clear()
    fresh_settings.delenv("HEWEI_CALLBACK_ALLOW_LOOPBACK")
    assert config.settings().callback_policy == CallbackPolicy(https_only=False, allow_loopback=False)


def test_a_cloud_stage_is_https_only_and_refuses_to_start_with_the_loopback_setting(fresh_settings):
    fresh_settings.setenv("HEWEI_STAGE", "prod")
    fresh_settings.delenv("HEWEI_CALLBACK_ALLOW_LOOPBACK", raising=False)
    assert config.settings().callback_policy == CLOUD_POLICY
    config.settings.cache_clear()
    fresh_settings.setenv("HEWEI_CALLBACK_ALLOW_LOOPBACK", "1")
    with pytest.raises(config.MissingSetting, match="HEWEI_CALLBACK_ALLOW_LOOPBACK"):
        config.settings()
