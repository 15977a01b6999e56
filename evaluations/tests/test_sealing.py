"""The round key, its shares (Shamir, 2 of 3) and sealed ballots."""

import itertools
import random

import pytest

from evaluations import sealing
from evaluations.sealing import KeyRefused, RoundKey, private_key_from_text


def _probably_prime(n: int, rounds: int = 40) -> bool:
    if n % 2 == 0:
        return n == 2
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    rng = random.Random(n)
    for _ in range(rounds):
        x = pow(rng.randrange(2, n - 1), d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def test_it_shares_over_the_smallest_prime_field_that_holds_every_key():
    assert _probably_prime(sealing.PRIME) and sealing.PRIME > 256**sealing.KEY_BYTES
    assert not any(_probably_prime(n) for n in range(2**256 + 1, sealing.PRIME, 2))
    assert sealing.PRIME < 256**sealing.SHARE_BYTES


def test_any_two_of_three_shares_rebuild_the_key_and_one_does_not():
    key = RoundKey.new()
    shares = key.shares()
    assert [s.x for s in shares] == [1, 2, 3]
    for pair in itertools.combinations(shares, 2):
        assert sealing.shares_combine(list(pair)) == key.private
    assert sealing.shares_combine(shares) == key.private
    # one share alone: every secret is equally possible (for any secret there is a line through it)
    s1 = shares[0]
    for other in (b"\x00" * 32, b"\xff" * 32, RoundKey.new().private):
        slope = (s1.y - int.from_bytes(other, "big")) % sealing.PRIME
        fake2 = sealing.Share(2, (int.from_bytes(other, "big") + 2 * slope) % sealing.PRIME)
        assert sealing.shares_combine([s1, fake2]) == other
    # splitting the same key twice gives unrelated shares
    assert {s.y for s in key.shares()}.isdisjoint({s.y for s in shares})


def test_it_takes_the_key_or_two_shares_as_typed_and_refuses_anything_else():
    key = RoundKey.new()
    text = key.text()
    assert text.startswith("K-") and private_key_from_text(text, key.public) == key.private
    sloppy = text.lower().replace("-", " ").replace("O", "0")
    assert private_key_from_text(sloppy, key.public) == key.private
    s1, s2, s3 = (s.text() for s in key.shares())
    assert private_key_from_text(f"{s3}\n{s1}\n", key.public) == key.private
    assert private_key_from_text(f"{s1}\n{s2}\n{s3}", key.public) == key.private
    # a typo is caught by the check characters, before anything is tried
    i = len(text) // 2
    typo = text[:i] + ("A" if text[i] != "A" else "B") + text[i + 1 :]
    with pytest.raises(KeyRefused, match="输入有误"):
        private_key_from_text(typo, key.public)
    with pytest.raises(KeyRefused):
        private_key_from_text(s1, key.public)  # one share is not enough
    with pytest.raises(KeyRefused):
        private_key_from_text(f"{s1}\n{s1}", key.public)
    with pytest.raises(KeyRefused, match="不是本轮评议的密钥"):
        private_key_from_text(RoundKey.new().text(), key.public)  # another round's key
    other = RoundKey.new().shares()
    with pytest.raises(KeyRefused):
        private_key_from_text(f"{s1}\n{other[1].text()}", key.public)  # shares of two keys
    with pytest.raises(KeyRefused):
        private_key_from_text("", key.public)


def test_a_sealed_ballot_has_one_size_whatever_it_says_and_opens_only_with_the_key():
    key = RoundKey.new()
    a = sealing.ballot_pack(7, [(1, 2, 3), (1, 3, 3)])
    b = sealing.ballot_pack(123456, [(1, 2, 999999), (1, 3, 10)])
    assert len(a) == len(b)
    box_a, box_b = sealing.seal(key.public, a), sealing.seal(key.public, b)
    assert len(box_a) == len(box_b) and a not in box_a
    assert sealing.seal(key.public, a) != box_a  # a fresh ephemeral key per ballot
    assert sealing.ballot_unpack(sealing.unseal(key.private, box_b)) == (123456, [(1, 2, 999999), (1, 3, 10)])
    with pytest.raises(KeyRefused):
        sealing.unseal(RoundKey.new().private, box_a)
