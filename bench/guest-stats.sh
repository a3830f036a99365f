#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# What the guest halves of bench/dsa-user and bench/ioat-user share: taking a contender's
# result, summing up rounds, and stating goals. Sourced (bash); the sourcing script defines
# run WHO ARGS..., fail and note, keeps the rounds' results of each contender in the
# associative array r (r[WHO]=" v1 v2 ...", one value per round, the same order for all), and
# starts with missed=0; goal sets missed=1 when one is missed.

# value WHO RESULT ARGS...: the RESULT figure of one run of WHO
value() {
	local who=$1 res=$2 out
	shift 2
	out=$(run "$who" "$@" 2>&1) || fail "$who $*: $out"
	echo "$out" | awk -v r="$res" '$1 == "result:" && $2 == r { print $3 }'
}
best() { sort -g | tail -1; } # the largest number on stdin
median() { sort -g | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# pratio A B: the ratios of A's to B's run of each round (lists in r[]), one per line
pratio() {
	awk -v a="${r[$1]}" -v b="${r[$2]}" 'BEGIN {
		n = split(a, x, " "); split(b, y, " ")
		for (i = 1; i <= n; i++) printf "%.3f\n", y[i] ? x[i] / y[i] : 0 }'
}
div() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b ? a / b : 0 }'; }
goal() { # goal TEXT RATIO MIN
	if awk -v r="$2" -v m="$3" 'BEGIN { exit !(r >= m) }'; then
		note "goal met: $1: $2x (>= ${3}x)"
	else
		note "goal MISSED: $1: $2x (< ${3}x)"
		missed=1
	fi
}
