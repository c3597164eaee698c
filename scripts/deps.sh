#!/bin/sh
# Make sure the Debian packages that openmcim needs are installed.
# As root it installs what is missing; otherwise it prints the exact apt-get
# line and stops. Usage: scripts/deps.sh [build|test|fuzz|deb|all]
set -eu

# What each kind of work needs. `test` includes the independent peers the
# tests cross-check against (osmo-auc-gen from libosmocore-utils) and the
# PostgreSQL server the store tests start a private cluster of (initdb and
# pg_ctl from postgresql-15, bookworm's `postgresql`), and the secure
# hardware the TRE's backends are tested on: a software TPM 2.0 (swtpm), a
# SoftHSM2 PKCS#11 token, and tpm2-tools to cross-check the TPM's state;
# and systemd-analyze (systemd) that checks the installed units
# (tests/install_test.c); jq, which parses the admin tools' --json output in
# their tests (tests/daemon_util.c du_json_check). tpm2-openssl is the OpenSSL provider through which
# the TRE keeps PrK_TRE in the TPM (tre/key_tpm.c), loaded at run time. The owner API's OpenAPI check and the console's
# browser test run on node (their npm packages come from the checked-in lock
# file) and Debian's chromium.
build_pkgs="gcc make cmake ninja-build pkg-config libssl-dev openssl libcjson-dev libosmocore-dev libsqlite3-dev libpq-dev libfreediameter-dev freediameter-extensions libxml2-dev libxmlsec1-dev libevent-dev libcurl4-openssl-dev libtss2-dev tpm2-openssl libp11-kit-dev libsystemd-dev"
test_peers="libosmocore-utils jq tshark prometheus xmlsec1 curl libwbxml2-utils postgresql swtpm swtpm-tools tpm2-tools softhsm2 p11-kit systemd nodejs npm chromium"
test_pkgs="$build_pkgs $test_peers"
fuzz_pkgs="$test_pkgs clang libclang-rt-dev"
# the Debian packages (make deb): debhelper, dpkg-buildpackage, lintian
deb_pkgs="$build_pkgs debhelper dpkg-dev lintian"

case "${1:-test}" in
build) want=$build_pkgs ;;
test) want=$test_pkgs ;;
fuzz) want=$fuzz_pkgs ;;
deb) want=$deb_pkgs ;;
all) want="$fuzz_pkgs debhelper dpkg-dev lintian" ;;
*)
	echo "usage: $0 [build|test|fuzz|deb|all]" >&2
	exit 2
	;;
esac

missing=""
for p in $want; do
	# Node.js may come from a package other than Debian's (NodeSource's
	# nodejs bundles npm and conflicts with Debian's npm): a working node or
	# npm on the PATH is enough.
	case $p in
	nodejs) command -v node >/dev/null 2>&1 && continue ;;
	npm) command -v npm >/dev/null 2>&1 && continue ;;
	esac
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
	echo "openmcim: installing Debian packages:$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >&2
else
	echo "openmcim: missing Debian packages. Install them with:" >&2
	echo "  sudo apt-get install -y$missing" >&2
	exit 1
fi
