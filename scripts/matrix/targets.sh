#!/usr/bin/env bash
# The Kamailio versions the module supports and how each is tested; one line
# per target: NAME KIND ARG. `scripts/test.sh --matrix` runs them in order.
#   installed  the Kamailio installed here (Debian bookworm's 5.6.3)
#   root       Debian's real binary and modules in a root made from Debian's
#              packages (ARG: the script that makes the root)
#   source     built from Kamailio's upstream tarball (ARG: version), with
#              CMake for 6.x and make for 5.x
cat <<'TARGETS'
bookworm-5.6 installed -
trixie-6.0 root scripts/matrix/trixie-root.sh
kamailio-6.1 source 6.1.4
kamailio-5.8 source 5.8.8
TARGETS
