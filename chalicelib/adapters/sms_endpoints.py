"""What the mainland SMS senders share without their SDKs: the number as the providers take it,
and an endpoint given as a host or as a URL (the local stand-in's `http://127.0.0.1:<port>`)."""

from __future__ import annotations

from urllib.parse import urlsplit


def mainland_number(phone: str) -> str:
    """The 11 digits of a mainland number (`+86`, `0086` or `86` in front dropped)."""
    digits = phone.strip().replace(" ", "")
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            return digits[len(prefix):]
    if digits.startswith("86") and len(digits) == 13:
        return digits[2:]
    return digits


def endpoint_config(endpoint: str | None, default: str) -> tuple[str, str]:
    """(protocol, host[:port]): `https` and `default` if no endpoint is given; a URL's own scheme."""
    if not endpoint:
        return "https", default
    if "://" in endpoint:
        split = urlsplit(endpoint)
        return split.scheme, split.netloc
    return "https", endpoint
