#!/bin/sh
# Run every benchmark program built from bench/. Usage: scripts/bench.sh BUILD_DIR
set -eu
dir=$1
for src in bench/*.c; do
	name=$(basename "$src" .c)
	echo "== $name"
	"$dir/$name"
done
