"""scripts/examples/dedup: the first copy of a request is processed, its
retransmissions are dropped by whichever server they reach."""

import os

import pytest

from harness.sip import SipTimeout

EXAMPLE = "dedup"
WINDOW = 32


def test_dedup_first_copy_processed_copies_dropped(engine, sips, mc, key):
    a, b = sips
    ci = key
    r = a.send("MESSAGE", call_id=ci, cseq=7, body=b"x")
    assert r.code == 200
    wire = f"dd:{ci}:7:MESSAGE"
    assert mc.get(wire) == (b"127.0.0.1", 1)
    assert WINDOW - 5 <= mc.ttl(wire) <= WINDOW
    for sip in (a, b):
        with pytest.raises(SipTimeout):
            sip.send("MESSAGE", call_id=ci, cseq=7, body=b"x", timeout=1.2)
    # the next transaction of the dialog is new
    assert b.send("MESSAGE", call_id=ci, cseq=8, body=b"x").code == 200
    # as is another method with the same CSeq number
    assert b.send("OPTIONS", call_id=ci, cseq=8).code == 200


def test_dedup_concurrent_copies_one_processed(engine, pair, mc, key):
    """The same request sent to both servers at once: one reply in all."""
    import socket
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    from harness.sip import SipClient, parse_response
    c = SipClient("127.0.0.1", pair[0].port)
    msg, _, _ = c.build("MESSAGE", call_id=key, cseq=1, body=b"x")
    c.close()
    replies = 0
    try:
        for _ in range(3):
            for k in pair:
                s.sendto(msg, ("127.0.0.1", k.port))
        s.settimeout(1.5)
        while True:
            try:
                data, _ = s.recvfrom(65535)
            except socket.timeout:
                break
            if parse_response(data).code == 200:
                replies += 1
    finally:
        s.close()
    assert replies == 1


def test_dedup_memcached_down(engine, sips, memcached, key):
    a, b = sips
    memcached.stop()
    try:
        # every engine tells an outage (-2: fail open) from a copy (-1)
        for sip in (a, b, a):
            r = sip.send("MESSAGE", call_id=key, cseq=1,
                         body=os.urandom(2).hex())
            assert r.code == 200
    finally:
        memcached.start()
