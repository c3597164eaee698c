#!/bin/sh
# The console's tests on a running lab (docs/owner.md "Tests"):
#   run.sh openapi|browser BUILD_DIR SOURCE_DIR
# Installs the test's npm packages with `npm ci` from the checked-in lock file
# into BUILD_DIR/console-test (once per lock file), starts `openmcim lab
# --keep` in a fresh directory, runs the node script against it, stops the lab.
set -eu
what=$1 build=$2 src=$3
here=$src/sho/console/test
t=$build/console-test
# what the tests need: missing, the test fails (never a pass that checked nothing)
missing=
command -v node >/dev/null 2>&1 || missing="$missing node"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
if [ "$what" = browser ] && [ ! -x "${OM_CHROMIUM:-/usr/bin/chromium}" ]; then
	missing="$missing ${OM_CHROMIUM:-/usr/bin/chromium}"
fi
if [ -n "$missing" ]; then
	echo "run.sh: FAIL: not installed:$missing (scripts/deps.sh test installs nodejs, npm and chromium)" >&2
	exit 1
fi
mkdir -p "$t"
if ! cmp -s "$here/package-lock.json" "$t/package-lock.json" || [ ! -d "$t/node_modules" ]; then
	cp "$here/package.json" "$here/package-lock.json" "$t/"
	(cd "$t" && npm ci --no-audit --no-fund --loglevel=error) || { echo "run.sh: npm ci failed" >&2; exit 1; }
fi
cp "$here"/*.mjs "$t/"
work=$(mktemp -d /tmp/om-console-XXXXXX)
out=$work/lab.out
"$build/openmcim" lab --devices 24 --keep --workdir "$work/lab" >"$out" 2>&1 &
lab=$!
stop() {
	kill "$lab" 2>/dev/null || true
	wait "$lab" 2>/dev/null || true
}
trap stop EXIT INT TERM
i=0
until grep -q '^console sign-in:' "$out"; do
	i=$((i + 1))
	if [ $i -gt 600 ] || ! kill -0 "$lab" 2>/dev/null; then
		echo "run.sh: the lab did not come up:" >&2
		tail -40 "$out" >&2
		exit 1
	fi
	sleep 0.5
done
NODE_EXTRA_CA_CERTS=$work/lab/pki/tls/ca.pem OM_LAB_DIR=$work/lab \
OM_SHO_A=$(sed -n 's|^console SHO-A: https://localhost:\([0-9]*\)/$|\1|p' "$out") \
OM_SHO_B=$(sed -n 's|^console SHO-B: https://localhost:\([0-9]*\)/$|\1|p' "$out") \
OM_BIN_DIR=$build OM_SOURCE_DIR=$src OM_ARTIFACTS=$build/console-artifacts \
	node "$t/$what.test.mjs" || rc=$?
stop
trap - EXIT INT TERM
# a sanitizer build's daemons report there (the lab has stopped them)
if grep -l 'ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:' "$work"/lab/*.log 2>/dev/null; then
	echo "run.sh: a daemon's log above has a sanitizer report (kept in $work)" >&2
	exit 1
fi
[ "${rc:-0}" -eq 0 ] && rm -rf "$work"
exit "${rc:-0}"
