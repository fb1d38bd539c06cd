from __future__ import annotations

import socket

import pytest

from pinnace.runtime import addresses


def test_allocate_skips_taken_and_does_not_reuse_at_once() -> None:
    pool = addresses.Pool("127.9.0.0/24", taken=["127.9.0.1"])
    first = pool.allocate()
    assert first == "127.9.0.2"
    pool.release(first)
    assert pool.allocate() == "127.9.0.3"
    assert "127.9.0.3" in pool
    assert first not in pool


def test_exhaustion_and_wraparound() -> None:
    pool = addresses.Pool("127.9.0.0/30")  # .0 .1 .2 .3
    got = {pool.allocate(), pool.allocate(), pool.allocate()}
    assert got == {"127.9.0.1", "127.9.0.2", "127.9.0.3"}
    with pytest.raises(addresses.Exhausted):
        pool.allocate()
    pool.release("127.9.0.2")
    assert pool.allocate() == "127.9.0.2"


def test_rejects_non_loopback() -> None:
    with pytest.raises(ValueError, match="loopback"):
        addresses.Pool("10.0.0.0/24")


def test_two_pods_listen_on_the_same_port() -> None:
    pool = addresses.Pool()
    a, b = pool.allocate(), pool.allocate()
    with socket.socket() as first, socket.socket() as second:
        first.bind((a, 0))
        first.listen()
        port = first.getsockname()[1]
        second.bind((b, port))
        second.listen()
        assert second.getsockname() == (b, port)
