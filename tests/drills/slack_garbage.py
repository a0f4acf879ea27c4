"""Unsigned garbage for ``POST /slack/events``: what a scanner, a fuzzer or a broken proxy sends.

``garbage(count, now)`` returns ``count`` requests ``(kind, body, headers)`` cycling through the
kinds below, each varied by a seeded random generator (the same list every run). None carries a
valid signature for the drill's secret at a fresh timestamp, so every one must be refused with a
4xx and must reach nothing behind the signature check. Header values are bytes, so a header can
hold what is not ASCII (a superscript digit in the timestamp).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
from collections.abc import Callable

Headers = dict[str, bytes]
Garbage = tuple[str, bytes, Headers]
FORM = b"application/x-www-form-urlencoded"
JSON = b"application/json"
HUGE = 2 * 1024 * 1024  # over the 1 MiB limit of the endpoint
COMMAND = b"command=%2Fhotpapers&text=help&team_id=T1&channel_id=C1&user_id=U1&trigger_id=1"


def mac(body: bytes, ts: str, secret: str) -> bytes:
    digest = hmac.new(secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    return f"v0={digest}".encode()


def _random_signature(rng: random.Random) -> bytes:
    return b"v0=" + rng.randbytes(32).hex().encode()


def _headers(rng: random.Random, now: int, kind: bytes = FORM) -> Headers:
    return {"Content-Type": kind, "X-Slack-Request-Timestamp": str(now).encode(),
            "X-Slack-Signature": _random_signature(rng)}  # fmt: skip


def invalid_utf8(rng: random.Random, now: int) -> Garbage:
    body = b"command=%2Fhotpapers&text=" + bytes(rng.randrange(0x80, 0x100) for _ in range(12))
    return "invalid-utf8", body, _headers(rng, now)


def truncated_json(rng: random.Random, now: int) -> Garbage:
    whole = json.dumps({"type": "event_callback", "event": {"type": "app_mention",
                        "text": "hot " * rng.randrange(1, 20)}}).encode()  # fmt: skip
    return "truncated-json", whole[: rng.randrange(1, len(whole))], _headers(rng, now, JSON)


def json_not_object(rng: random.Random, now: int) -> Garbage:
    body = rng.choice([b"[1, 2, 3]", b'[{"type": "url_verification"}]', b"[]", b'"text"',
                       b"42", b"null", b"true", b"[" * 200])  # fmt: skip
    return "json-not-object", body, _headers(rng, now, rng.choice([JSON, FORM]))


def broken_payload(rng: random.Random, now: int) -> Garbage:
    body = rng.choice([b"payload=", b"payload=%7B", b"payload={not json", b"payload=%5B1%5D",
                       b"payload=%FF%FE", b"payload=null", b"payload=%7B%22type%3A"])  # fmt: skip
    return "broken-payload", body, _headers(rng, now)


def odd_timestamp(rng: random.Random, now: int) -> Garbage:
    stamp = rng.choice([
        "¹", f"{now}"[:-1] + "¹", "¹⁶¹⁸³⁰⁰⁰⁰⁰", "１６１８３００００", "١٦١٨٣٠٠٠٠٠", "", "-1", "+1",
        "1e9", "0x10", f"{now}.5", f"{now}_0", "9" * 5000, "18446744073709551616", f"{now}x",
    ])  # fmt: skip
    headers = _headers(rng, now)
    headers["X-Slack-Request-Timestamp"] = stamp.encode()
    return "odd-timestamp", COMMAND, headers


def missing_headers(rng: random.Random, now: int) -> Garbage:
    headers = _headers(rng, now)
    for name in rng.choice([("X-Slack-Signature",), ("X-Slack-Request-Timestamp",),
                            ("X-Slack-Signature", "X-Slack-Request-Timestamp")]):  # fmt: skip
        del headers[name]
    return "missing-headers", COMMAND, headers


def bad_signature(rng: random.Random, now: int) -> Garbage:
    headers = _headers(rng, now)
    hexed = rng.randbytes(32).hex()
    shapes = ["", "v0=", "v0=zz", f"v1={hexed}", f"v0={hexed[:10]}", "garbage",
              f"v0={hexed.upper()}", f"v0={hexed}{hexed}", "v0=" + "é" * 64]  # fmt: skip
    headers["X-Slack-Signature"] = rng.choice(shapes).encode()
    return "bad-signature", COMMAND, headers


def wrong_secret(rng: random.Random, now: int) -> Garbage:
    headers = _headers(rng, now)
    headers["X-Slack-Signature"] = mac(COMMAND, str(now), f"not-the-secret-{rng.random()}")
    return "wrong-secret", COMMAND, headers


def stale_or_future(secret: str) -> Callable[[random.Random, int], Garbage]:
    """Signed with the right secret, but outside Slack's five minutes."""

    def case(rng: random.Random, now: int) -> Garbage:
        ts = str(now + rng.choice([-1, 1]) * rng.randrange(301 + 5, 10**6))
        headers = _headers(rng, now)
        headers |= {"X-Slack-Request-Timestamp": ts.encode(),
                    "X-Slack-Signature": mac(COMMAND, ts, secret)}  # fmt: skip
        return "stale-or-future", COMMAND, headers

    return case


def odd_body(rng: random.Random, now: int) -> Garbage:
    body = rng.choice([b"", b"\x00" * 64, b"<?xml version='1.0'?><a/>", rng.randbytes(64),
                       b'{"type": "url_verification", "challenge": "c"}', b"ssl_check=1&token=x",
                       b"--x\r\nContent-Disposition: form-data\r\n\r\n--x--"])  # fmt: skip
    kind = rng.choice([FORM, JSON, b"text/plain", b"multipart/form-data; boundary=x", b""])
    return "odd-body", body, _headers(rng, now, kind)


def huge(rng: random.Random, now: int) -> Garbage:
    return "huge", b"text=" + b"a" * HUGE, _headers(rng, now)


def garbage(count: int, now: int, secret: str, seed: int = 14) -> list[Garbage]:
    """``count`` unsigned requests; one in fifty is over the size limit (to keep the drill fast)."""
    rng = random.Random(seed)
    kinds = [
        invalid_utf8, truncated_json, json_not_object, broken_payload, odd_timestamp,
        missing_headers, bad_signature, wrong_secret, stale_or_future(secret), odd_body,
    ]  # fmt: skip
    cases = []
    for i in range(count):
        make = huge if i % 50 == 49 else kinds[i % len(kinds)]
        cases.append(make(rng, now))
    return cases
