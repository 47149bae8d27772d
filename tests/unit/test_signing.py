"""Partner request signing (§1) and callback signing (§7).

The expected values were computed outside Python, with coreutils and OpenSSL:
    printf '1763780000\\nPOST\\n/v1/cases\\n%s' "$(printf '{"external_ref":"R-1"}' | sha256sum | cut -d' ' -f1)" \\
      | openssl dgst -sha256 -hmac s3cr3t
"""

from __future__ import annotations

import pytest

from chalicelib.domain.signing import (
    SIGNATURE_WINDOW_SECONDS,
    canonical_string,
    derive_secret,
    sign,
    signature_matches,
    timestamp_fresh,
)

SECRET = "s3cr3t"
TS = "1763780000"
BODY = b'{"external_ref":"R-1"}'
BODY_SHA256 = "231e127287ad2267ceedc7b0a517394c04f9b500ba78e5cdfb24eaf54f42c1c2"
POST_SIGNATURE = "6798cd2352b0397537b95f665e7d4c8682eb055e6566303e74d1b43b6942eeb3"
GET_SIGNATURE = "6b02c79ff32b6a3af4da39bb122d5e7ee5eb3812b00c88504a87d85a8e1bd68e"  # empty body, with query
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_canonical_string():
    assert canonical_string(TS, "post", "/v1/cases", BODY) == f"{TS}\nPOST\n/v1/cases\n{BODY_SHA256}"
    assert canonical_string(TS, "GET", "/v1/cases", b"").endswith(EMPTY_SHA256)


def test_known_vectors():
    assert sign(SECRET, TS, "POST", "/v1/cases", BODY) == POST_SIGNATURE
    assert sign(SECRET, TS, "GET", "/v1/cases?limit=5&status=received", b"") == GET_SIGNATURE


def test_signature_matches_any_candidate_path_and_either_case():
    assert signature_matches(SECRET, POST_SIGNATURE, TS, "POST", ["/api/v1/cases", "/v1/cases"], BODY)
    assert signature_matches(SECRET, POST_SIGNATURE.upper(), TS, "POST", ["/v1/cases"], BODY)


@pytest.mark.parametrize(
    "change",
    [
        dict(secret="other"),
        dict(timestamp="1763780001"),
        dict(method="PUT"),
        dict(paths=["/v1/cases/"]),
        dict(body=b'{"external_ref":"R-2"}'),
    ],
)
def test_any_change_breaks_the_signature(change):
    args = dict(secret=SECRET, signature=POST_SIGNATURE, timestamp=TS, method="POST", paths=["/v1/cases"], body=BODY)
    args.update(change)
    assert not signature_matches(**args)


@pytest.mark.parametrize("signature", ["", "abc", POST_SIGNATURE[:-1], POST_SIGNATURE + "0",
                                       "é" * 64, "g" * 64, " " + POST_SIGNATURE[1:]])
def test_malformed_signatures_never_match_and_never_raise(signature):
    assert not signature_matches(SECRET, signature, TS, "POST", ["/v1/cases"], BODY)


@pytest.mark.parametrize(
    ("offset", "fresh"),
    [(0, True), (-SIGNATURE_WINDOW_SECONDS, True), (SIGNATURE_WINDOW_SECONDS, True),
     (-SIGNATURE_WINDOW_SECONDS - 1, False), (SIGNATURE_WINDOW_SECONDS + 1, False)],
)
def test_window_is_300_seconds_either_way(offset, fresh):
    now = 1_763_780_000.0
    assert SIGNATURE_WINDOW_SECONDS == 300
    assert timestamp_fresh(str(int(now) + offset), now) is fresh


@pytest.mark.parametrize("timestamp", ["", "abc", "-5", "1763780000.5", " 1763780000", "1e9",
                                       "\u00b2", "\u0661\u0667\u0666", "9" * 5000])
def test_malformed_timestamps_are_not_fresh_and_never_raise(timestamp):
    assert timestamp_fresh(timestamp, 1_763_780_000.0) is False


def test_derive_secret_is_stable_and_depends_on_key_and_master():
    expected = "70e11f5a88e53d30e8561a5553e3a765ce27c941f0b91acda52b58e9766768ac"  # openssl, as above
    assert derive_secret(b"master", "hk_0001") == expected
    assert derive_secret(b"master", "hk_0001") == derive_secret(b"master", "hk_0001")
    assert derive_secret(b"master", "hk_0002") != expected
    assert derive_secret(b"other-master", "hk_0001") != expected


# ------------------------------------------------------------ the nonce form (§1a)

NONCE = "AbCdEf0123456789-_xy"
NONCE_SIGNATURE = "49caf11258ff2c3cb1af43a2379e1f09dc3997893b59b39b83dbdbe4418deb58"
"""printf '1763780000\\nAbCdEf0123456789-_xy\\nPOST\\n/v1/cases\\n%s' "$(printf '{"external_ref":"R-1"}' \\
   | sha256sum | cut -d' ' -f1)" | openssl dgst -sha256 -hmac s3cr3t"""


def test_with_a_nonce_the_canonical_string_has_it_on_the_second_line():
    assert canonical_string(TS, "post", "/v1/cases", BODY, NONCE) == f"{TS}\n{NONCE}\nPOST\n/v1/cases\n{BODY_SHA256}"
    assert sign(SECRET, TS, "POST", "/v1/cases", BODY, NONCE) == NONCE_SIGNATURE


def test_a_nonce_signature_matches_only_with_its_nonce():
    assert signature_matches(SECRET, NONCE_SIGNATURE, TS, "POST", ["/v1/cases"], BODY, NONCE)
    assert not signature_matches(SECRET, NONCE_SIGNATURE, TS, "POST", ["/v1/cases"], BODY)
    assert not signature_matches(SECRET, NONCE_SIGNATURE, TS, "POST", ["/v1/cases"], BODY, NONCE + "z")
    assert not signature_matches(SECRET, POST_SIGNATURE, TS, "POST", ["/v1/cases"], BODY, NONCE)


@pytest.mark.parametrize(("nonce", "valid"), [
    ("a" * 16, True), ("Z" * 64, True), ("0123456789abcdef-_", True),
    ("a" * 15, False), ("a" * 65, False), ("", False), ("abcdefghijklmnop=", False),
    ("abcdefghijklmno p", False), ("abcdefghijklmnop\n", False), ("abcdefghijklmnoé", False),
])
def test_a_nonce_is_16_to_64_url_safe_characters(nonce, valid):
    from chalicelib.domain.signing import nonce_valid

    assert nonce_valid(nonce) is valid
