"""Round keys and sealed ballots (see docs/anonymity.md).

Each round gets a key pair when it opens. The server keeps only the public key; the private key is
printed once on the committee's key sheet, whole or split into three shares of which any two rebuild
it (Shamir's scheme over a prime field), and comes back only when the committee closes the round.
A ballot is sealed with the public key (libsodium sealed box: an anonymous sender, a fresh ephemeral
key per ballot) in the transaction that spends its code, so neither the tables nor the write-ahead
log ever hold what a voter answered while the round is open.

Text forms (typed or pasted on the close page, also printed as QR codes):
  key    K-XXXX-XXXX-…   base32 of the 32-byte private key + 2 check bytes
  share  S1-XXXX-XXXX-…  (S2, S3) base32 of the share's 33-byte value + 2 check bytes
"""

import base64
import hashlib
import secrets
import struct
from dataclasses import dataclass

from django.utils.translation import gettext as _
from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox

from core.exceptions import ServiceError

KEY_BYTES = 32
# The smallest prime above 2**256: every 32-byte key is an element of the field (tested).
PRIME = 2**256 + 297
SHARE_BYTES = 33
SHARES = 3
THRESHOLD = 2
BALLOT_VERSION = 1


class KeyRefused(ServiceError):
    """The text given is not this round's key (mistyped, another round's, or too few shares)."""


# --- text forms ---------------------------------------------------------------------------------


def _check(raw: bytes) -> bytes:
    return hashlib.sha256(raw).digest()[:2]


def _to_text(prefix: str, raw: bytes) -> str:
    b32 = base64.b32encode(raw + _check(raw)).decode().rstrip("=")
    return prefix + "-" + "-".join(b32[i : i + 5] for i in range(0, len(b32), 5))


def _from_text(text: str, size: int) -> bytes | None:
    body = "".join(ch for ch in text.upper() if ch.isalnum())
    body = body.replace("0", "O").replace("1", "I").replace("8", "B")  # base32 has no 0, 1, 8
    need = -(-((size + 2) * 8) // 5)
    if len(body) != need:
        return None
    try:
        raw = base64.b32decode(body + "=" * (-len(body) % 8))
    except ValueError:
        return None
    data, check = raw[:size], raw[size:]
    return data if _check(data) == check else None


def key_text(private_key: bytes) -> str:
    return _to_text("K", private_key)


def fingerprint(public_key: bytes) -> str:
    """A short, printable identity of the round's key (shown on the sheet and the close page)."""
    h = hashlib.sha256(public_key).hexdigest()[:12].upper()
    return "-".join(h[i : i + 4] for i in range(0, 12, 4))


# --- Shamir's secret sharing, 2 of 3, over GF(PRIME) ---------------------------------------------


@dataclass(frozen=True)
class Share:
    x: int
    y: int

    def text(self) -> str:
        return _to_text(f"S{self.x}", self.y.to_bytes(SHARE_BYTES, "big"))


def shares_split(secret: bytes, n: int = SHARES, k: int = THRESHOLD) -> list[Share]:
    """Split `secret` into `n` shares, any `k` of which rebuild it and fewer tell nothing about it:
    the shares are points x = 1…n of a random polynomial of degree k−1 whose value at 0 is the secret."""
    s = int.from_bytes(secret, "big")
    if not (s < PRIME and 2 <= k <= n < PRIME):  # not an assert: python -O would drop it
        raise ValueError("secret or share counts out of range")
    coefficients = [s] + [secrets.randbelow(PRIME) for _ in range(k - 1)]
    shares = []
    for x in range(1, n + 1):
        y = 0
        for c in reversed(coefficients):
            y = (y * x + c) % PRIME
        shares.append(Share(x, y))
    return shares


def shares_combine(shares: list[Share], size: int = KEY_BYTES) -> bytes:
    """Lagrange interpolation at 0 of distinct shares."""
    xs = [s.x for s in shares]
    if len(set(xs)) != len(xs) or any(not 0 < x < PRIME for x in xs):
        raise KeyRefused(_("Each share may be given once."))
    secret = 0
    for i, si in enumerate(shares):
        num = den = 1
        for j, sj in enumerate(shares):
            if i != j:
                num = num * (-sj.x) % PRIME
                den = den * (si.x - sj.x) % PRIME
        secret = (secret + si.y * num * pow(den, -1, PRIME)) % PRIME
    if secret >= 256**size:
        raise KeyRefused(_("These shares do not rebuild a key."))
    return secret.to_bytes(size, "big")


def _compact(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalnum())


def share_parse(text: str) -> Share | None:
    line = _compact(text)
    if len(line) < 3 or line[0] != "S" or not line[1].isdigit():
        return None
    raw = _from_text(line[2:], SHARE_BYTES)
    if raw is None:
        return None
    return Share(int(line[1]), int.from_bytes(raw, "big"))


# --- the round's key pair ------------------------------------------------------------------------


@dataclass(frozen=True)
class RoundKey:
    """A freshly made key pair. `private` must leave the server only on the committee's sheet."""

    public: bytes
    private: bytes

    @classmethod
    def new(cls) -> "RoundKey":
        sk = PrivateKey.generate()
        return cls(public=bytes(sk.public_key), private=bytes(sk))

    def text(self) -> str:
        return key_text(self.private)

    def shares(self) -> list[Share]:
        return shares_split(self.private)


def private_key_from_text(text: str, public_key: bytes) -> bytes:
    """The private key from what the committee typed or pasted: the whole key (K-…), or two or three
    shares (S1-…, S2-…, S3-…) on separate lines. Refused unless it matches the round's public key."""
    lines = [ln.strip() for ln in (text or "").replace(",", "\n").splitlines() if ln.strip()]
    private = None
    whole = [_compact(ln) for ln in lines if _compact(ln).startswith("K")]
    if whole:
        private = _from_text(whole[0][1:], KEY_BYTES)
        if private is None:
            raise KeyRefused(_("The key is mistyped: check it against the sheet (letters A–Z and digits 2–7)."))
    else:
        shares = [share_parse(ln) for ln in lines]
        if not shares or any(s is None for s in shares):
            raise KeyRefused(_("A share is mistyped: check it against the sheet."))
        if len({s.x for s in shares}) < THRESHOLD:
            raise KeyRefused(_("Give at least two different shares (S1, S2 or S3)."))
        private = shares_combine(shares[:THRESHOLD] if len(shares) > THRESHOLD else shares)
    if bytes(PrivateKey(private).public_key) != public_key:
        raise KeyRefused(_("This is not the key of this round (its fingerprint does not match)."))
    return private


# --- sealed ballots ------------------------------------------------------------------------------


TEXT_BYTES = 800  # a free-text answer's room in a sealed ballot: 200 characters of any script (UTF-8)


def ballot_pack(
    group_id: int, answers: list[tuple[int, int, int]], texts: list[tuple[int, int, str]] | None = None
) -> bytes:
    """Fixed-width binary form: every ballot of a round has the same length whatever it says, so the
    sealed box's size tells nothing. `texts`: the free-text answers as (target id, field number, text)
    for every free-text question of the round (empty ones too), each padded to TEXT_BYTES (version 2)."""
    version = BALLOT_VERSION if texts is None else 2
    body = struct.pack(">BII", version, group_id, len(answers))
    body += b"".join(struct.pack(">III", t, i, g) for t, i, g in sorted(answers))
    if texts is None:
        return body
    body += struct.pack(">I", len(texts))
    for t, f, text in sorted(texts):
        raw = text.encode()
        if len(raw) > TEXT_BYTES:
            raise ValueError("free text too long")
        body += struct.pack(">IBH", t, f, len(raw)) + raw + b"\0" * (TEXT_BYTES - len(raw))
    return body


def ballot_unpack_texts(raw: bytes) -> tuple[int, list[tuple[int, int, int]], list[tuple[int, int, str]]]:
    """(group id, answers, free texts) of a packed ballot (version 1 has no texts)."""
    version, group_id, n = struct.unpack_from(">BII", raw)
    end = 9 + 12 * n
    if version not in (1, 2) or len(raw) < end or (version == 1 and len(raw) != end):
        raise ValueError("not a ballot")
    answers = [struct.unpack_from(">III", raw, 9 + 12 * k) for k in range(n)]
    texts = []
    if version == 2:
        (m,) = struct.unpack_from(">I", raw, end)
        slot = 7 + TEXT_BYTES
        if len(raw) != end + 4 + m * slot:
            raise ValueError("not a ballot")
        for k in range(m):
            at = end + 4 + k * slot
            t, f, size = struct.unpack_from(">IBH", raw, at)
            texts.append((t, f, raw[at + 7 : at + 7 + size].decode()))
    return group_id, answers, texts


def ballot_unpack(raw: bytes) -> tuple[int, list[tuple[int, int, int]]]:
    group_id, answers, _texts = ballot_unpack_texts(raw)
    return group_id, answers


def seal(public_key: bytes, plaintext: bytes) -> bytes:
    return SealedBox(PublicKey(public_key)).encrypt(plaintext)


def unseal(private_key: bytes, box: bytes) -> bytes:
    try:
        return SealedBox(PrivateKey(private_key)).decrypt(box)
    except CryptoError as e:
        raise KeyRefused(_("A sealed ballot could not be opened with this key.")) from e
