# tests/stress/helper.bash -- fixtures of the reliability suites
# (tests/reliability_*.bats): paths, scratch directories, file systems of
# a chosen size, and running a TAP helper program so that its diagnostics
# (the figures of the run) reach the test log
: "${top_builddir:?run through make check, or export top_builddir}"
: "${top_srcdir:?run through make check, or export top_srcdir}"

REL=$top_builddir/tests/stress
SHIM=$top_builddir/libvmmalloc/.libs/libvmmalloc.so
LIBVMEM_DIR=$top_builddir/libvmem/.libs

# rel_tmpdir -- a new scratch directory, removed by rel_cleanup
rel_tmpdir() {
	local d
	d=$(mktemp -d "${TMPDIR:-/tmp}/vmem-rel.XXXXXX")
	echo "$d" >>"$BATS_TMPDIR/rel-cleanup.$$"
	echo "$d"
}

# rel_cleanup -- unmount and remove what rel_tmpdir and rel_tmpfs made
rel_cleanup() {
	local f="$BATS_TMPDIR/rel-cleanup.$$" d
	[ -f "$f" ] || return 0
	while read -r d; do
		mountpoint -q "$d" 2>/dev/null && umount "$d"
		rm -rf "$d"
	done <"$f"
	rm -f "$f"
}

# rel_tmpfs SIZE -- a new tmpfs of SIZE (e.g. 24m); skips without root
rel_tmpfs() {
	[ "$(id -u)" -eq 0 ] || skip "mounting a tmpfs needs root"
	local d
	d=$(rel_tmpdir)
	mount -t tmpfs -o "size=$1,mode=0755" tmpfs "$d" 2>/dev/null ||
		skip "cannot mount a tmpfs here (no CAP_SYS_ADMIN?)"
	echo "$d"
}

# diag -- lines to the TAP stream as comments
diag() {
	sed 's/^/# /' >&3
}

# tap_run PROG ARGS... -- run a TAP program under a timeout; pass its
# comments on, show everything when it fails
tap_run() {
	run timeout --kill-after=10 "${REL_TIMEOUT:-300}" "$@"
	grep '^#' <<<"$output" | sed 's/^# //' | diag
	if [ "$status" -ne 0 ] || grep -q '^not ok' <<<"$output"; then
		echo "command: $*"
		echo "status: $status"
		echo "$output"
		return 1
	fi
}

# shim_run ENV... -- run a program under the shim: shim_run VAR=x ... prog
shim_run() {
	run timeout --kill-after=10 "${REL_TIMEOUT:-300}" \
		env LD_PRELOAD="$SHIM" "$@"
}
