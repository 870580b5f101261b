"""The canary test runs Kamailio the way the sanitized e2e runs do
(mc_asan: kamailio-asan.sh, e2e harness)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mc_asan  # noqa: E402

mc_asan.use_sanitized_kamailio()
