"""What the mainland SMS senders share without their SDKs: an endpoint given as a host or as a URL
(the local stand-in's `http://127.0.0.1:<port>`)."""

from __future__ import annotations

from urllib.parse import urlsplit


def endpoint_config(endpoint: str | None, default: str) -> tuple[str, str]:
    """(protocol, host[:port]): `https` and `default` if no endpoint is given; a URL's own scheme."""
    if not endpoint:
        return "https", default
    if "://" in endpoint:
        split = urlsplit(endpoint)
        return split.scheme, split.netloc
    return "https", endpoint
