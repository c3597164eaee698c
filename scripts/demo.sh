#!/bin/sh
# `make demo`: the whole system on loopback, `openmcim lab` (docs/lab.md). Every network
# function its own process under a new work directory, N devices from the factory to a
# change of operator, a fallback, a revoked and a tampered device, then the report.
# OM_DEMO_DEVICES changes N; any further arguments go to `openmcim lab` (see --help).
#
# `scripts/demo.sh CLI auth` shows the authentication core instead: MILENAGE through the
# openmcim command next to osmo-auc-gen (libosmocore), an independent implementation.
set -eu
cli=${1:-build/openmcim}
[ $# -gt 0 ] && shift
step() { printf '\n== %s\n' "$*"; }

if [ "${1:-}" != auth ]; then
	# the default finishes in about a minute on a 2-core machine (docs/lab.md "Report")
	exec "$cli" lab --devices "${OM_DEMO_DEVICES:-1000}" "$@"
fi

# TS 35.208 test set 1
K=465b5ce8b199b49faa5f0a2ee238a6bc
OP=cdc202d5123e20f62b6d676ac72cb318
RAND=23553cbe9637a89d218ae64dae47bf35
SQN=ff9bb4d0b607
AMF=b9b9

step "MILENAGE, TS 35.208 test set 1: openmcim milenage"
"$cli" milenage --k $K --op $OP --rand $RAND --sqn $SQN --amf $AMF

if command -v osmo-auc-gen >/dev/null 2>&1; then
	step "the same inputs through osmo-auc-gen (libosmocore)"
	OPC=$("$cli" milenage --k $K --op $OP --rand $RAND --sqn $SQN --amf $AMF | sed -n 's/^OPc=//p')
	osmo-auc-gen -3 -a milenage -k $K -o "$OPC" -r $RAND -s "$(printf '%d' 0x$SQN)" -f $AMF 2>/dev/null |
		grep -E '^(AUTN|RES|CK|IK):'
fi

# A USIM that saw SQN_MS = 1 answers a stale challenge with this AUTS
# (hostapd's test USIM, TS 35.208 set 20 keys).
step "resynchronisation: openmcim auts recovers SQN_MS and checks MAC-S"
"$cli" auts --k 90dca4eda45b53cf0f12d7c9c3bc6a89 --opc cb9cccc4b9258e6dca4760379fb82581 \
	--rand 9fddc72092c6ad036b6e464789315b78 --auts 4f2039392ddd4bb4316ed4a14688

step "a tampered AUTS (last bit flipped) is refused"
if "$cli" auts --k 90dca4eda45b53cf0f12d7c9c3bc6a89 --opc cb9cccc4b9258e6dca4760379fb82581 \
	--rand 9fddc72092c6ad036b6e464789315b78 --auts 4f2039392ddd4bb4316ed4a14689; then
	echo "demo: a tampered AUTS was accepted" >&2
	exit 1
fi
