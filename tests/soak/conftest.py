"""The soak reuses the e2e harness (tests/e2e/harness): memcached and
Kamailio as child processes on free loopback ports, stopped by pid."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "e2e"))
