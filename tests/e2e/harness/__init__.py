"""Test harness of the end-to-end suite: a SIP-over-UDP client, a raw
memcached text-protocol client, and process wrappers for memcached and
Kamailio. Python stdlib only."""
