# SPDX-License-Identifier: GPL-2.0
#
# tap.sh: TAP for the shell tests of tools/testing (sourced).
#   ok STATUS TEXT   one check: "ok N - TEXT" if STATUS is 0, else
#                    "not ok N - TEXT", which makes tap_status 1
#   tap_status       0 while every check passed
n=0 tap_status=0

ok() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		tap_status=1
	fi
}
