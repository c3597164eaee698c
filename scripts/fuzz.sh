#!/bin/sh
# Run every libFuzzer target in a fuzz build for a number of seconds each.
# Usage: scripts/fuzz.sh BUILD_DIR SECONDS
set -eu
dir=$1
secs=$2
found=0
for f in "$dir"/fuzz_*; do
	[ -x "$f" ] || continue
	found=1
	name=$(basename "$f")
	corpus="$dir/corpus/$name"
	mkdir -p "$corpus"
	seeds="fuzz/corpus/${name#fuzz_}"
	echo "fuzz: $name for ${secs}s"
	if [ -d "$seeds" ]; then
		"$f" -max_total_time="$secs" -print_final_stats=1 "$corpus" "$seeds" 2>"$dir/$name.log" ||
			{ tail -50 "$dir/$name.log"; exit 1; }
	else
		"$f" -max_total_time="$secs" -print_final_stats=1 "$corpus" 2>"$dir/$name.log" ||
			{ tail -50 "$dir/$name.log"; exit 1; }
	fi
	grep -E 'stat::number_of_executed_units' "$dir/$name.log" || true
done
[ "$found" = 1 ] || { echo "fuzz: no target built" >&2; exit 1; }
