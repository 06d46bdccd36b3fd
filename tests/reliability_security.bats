#!/usr/bin/env bats
# reliability_security.bats -- pool files are never visible and never
# readable by another user; configuration is ignored by set-user-ID
# programs (secure_getenv).  (SIGKILL during creation: FAULT-09/10.)

load stress/helper

setup() {
	DIR=$(rel_tmpdir)
	chmod 1777 "$DIR"
	[ "$(id -u)" -eq 0 ] || skip "needs root (another user, set-user-ID)"
	id nobody >/dev/null 2>&1 || skip "no user nobody"
	NOGROUP=$(id -gn nobody)
}

teardown() {
	[ -n "${HOLD_PID:-}" ] && kill "$HOLD_PID" 2>/dev/null
	exec 7>&- 2>/dev/null || true
	rel_cleanup
}

# as_nobody CMD... -- run a command as user nobody
as_nobody() {
	setpriv --reuid=nobody --regid="$NOGROUP" --clear-groups -- "$@"
}

# pool_maps PID -- the lines of /proc/PID/maps of pool files in DIR
pool_maps() {
	grep -F " $DIR/" "/proc/$1/maps" || true
}

@test "SEC-01: a libvmem pool has no name, no descriptor, mode 0600; nobody cannot open it" {
	mkfifo "$DIR/.in"
	"$REL/vmem_faults" hold "$DIR" <"$DIR/.in" >"$DIR/.out" &
	HOLD_PID=$!
	exec 7>"$DIR/.in"
	for _ in $(seq 200); do grep -q ready "$DIR/.out" && break; sleep 0.05; done
	read -r _ pid base size <"$DIR/.out"
	echo "pid $pid base $base size $size"
	# the directory shows nothing but our fifo and output
	[ "$(ls -A "$DIR" | grep -v '^\.in$\|^\.out$' | wc -l)" -eq 0 ]
	line=$(pool_maps "$pid")
	echo "maps: $line"
	grep -q '(deleted)$' <<<"$line"
	range=$(awk '{print $1}' <<<"$line")
	# no descriptor of the process points into DIR
	! ls -l "/proc/$pid/fd" | grep -F "$DIR/#"
	# the file behind the mapping: 0600, owned by root
	[ "$(stat -L -c '%a %U' "/proc/$pid/map_files/$range")" = "600 root" ]
	# another user can neither open it nor read the process's memory
	run as_nobody cat "/proc/$pid/map_files/$range"
	echo "nobody, map_files: $status $output"
	[ "$status" -ne 0 ]
	run as_nobody dd if="/proc/$pid/mem" bs=4096 count=1 \
		skip=$((base / 4096)) status=none
	echo "nobody, mem: $status $output"
	[ "$status" -ne 0 ]
	! grep -q 'secret pool contents' <<<"$output"
	exec 7>&-
	wait "$HOLD_PID"
	HOLD_PID=
}

@test "SEC-02: the shim's pool file: nameless, descriptor mode 0600, closed to nobody" {
	env LD_PRELOAD="$SHIM" VMMALLOC_POOL_DIR="$DIR" VMMALLOC_POOL_SIZE=16M \
		sleep 30 &
	HOLD_PID=$!
	for _ in $(seq 200); do [ -n "$(pool_maps "$HOLD_PID")" ] && break; sleep 0.05; done
	pool_maps "$HOLD_PID"
	grep -q '(deleted)$' <<<"$(pool_maps "$HOLD_PID")"
	[ -z "$(ls -A "$DIR")" ]
	# the one descriptor kept for the fork modes
	fd=$(ls -l "/proc/$HOLD_PID/fd" | awk -v d="$DIR/" 'index($0, d) {print $9}')
	echo "fd $fd"
	[ -n "$fd" ]
	[ "$(stat -L -c '%a' "/proc/$HOLD_PID/fd/$fd")" = 600 ]
	run as_nobody cat "/proc/$HOLD_PID/fd/$fd"
	echo "nobody: $status $output"
	[ "$status" -ne 0 ]
	range=$(pool_maps "$HOLD_PID" | awk '{print $1}')
	run as_nobody cat "/proc/$HOLD_PID/map_files/$range"
	[ "$status" -ne 0 ]
}

# setuid_dir -- a directory nobody can reach, holding set-user-ID root
# copies of both probes (vsuid, msuid) and plain ones (vplain, mplain)
setuid_dir() {
	SUID=$(rel_tmpdir)
	chmod 755 "$SUID"
	cp "$REL/vmem_setuid" "$SUID/vsuid"
	cp "$REL/vmmalloc_setuid" "$SUID/msuid"
	cp "$REL/vmem_setuid" "$SUID/vplain"
	cp "$REL/vmmalloc_setuid" "$SUID/mplain"
	chown root:root "$SUID"/*
	chmod 4755 "$SUID/vsuid" "$SUID/msuid"
	chmod 755 "$SUID/vplain" "$SUID/mplain"
	LOGD=$(rel_tmpdir)
	chmod 1777 "$LOGD"
}

# setuid_works -- whether set-user-ID takes effect there (not nosuid)
setuid_works() {
	as_nobody "$SUID/vsuid" "$DIR" | grep -q 'euid 0 secure 1'
}

@test "SEC-03: VMEM_LOG_FILE and VMEM_LOG_LEVEL are ignored by a set-user-ID program" {
	setuid_dir
	setuid_works || skip "set-user-ID has no effect here (nosuid mount?)"
	logd=$LOGD
	probe=$SUID/vsuid
	# control: the same program without the bit honours them
	run as_nobody env VMEM_LOG_LEVEL=4 VMEM_LOG_FILE="$logd/plain.log" \
		"$SUID/vplain" "$DIR"
	echo "plain: $output"
	[ -s "$logd/plain.log" ]
	grep -q 'vmem-setuid-probe' "$logd/plain.log"
	run as_nobody env VMEM_LOG_LEVEL=4 VMEM_LOG_FILE="$logd/suid.log" \
		VMEM_PUNCH_HOLES=1 "$probe" "$DIR"
	echo "setuid: $output"
	[ "$status" -eq 0 ]
	grep -q 'euid 0 secure 1' <<<"$output"
	grep -q 'vmem_create: ok' <<<"$output"
	[ ! -e "$logd/suid.log" ]
	! grep -q '<libvmem>' <<<"$output"
}

@test "SEC-04: VMMALLOC_* are ignored by a set-user-ID program linked with libvmmalloc" {
	setuid_dir
	setuid_works || skip "set-user-ID has no effect here (nosuid mount?)"
	logd=$LOGD
	probe=$SUID/msuid
	# control: without the bit the pool comes from the environment
	run as_nobody env VMMALLOC_POOL_DIR="$DIR" VMMALLOC_POOL_SIZE=16M \
		VMMALLOC_LOG_LEVEL=3 VMMALLOC_LOG_FILE="$logd/plain.log" \
		"$SUID/mplain"
	echo "plain: $status $output"
	[ "$status" -eq 0 ]
	grep -q 'malloc from a pool file' <<<"$output"
	[ -s "$logd/plain.log" ]
	# set-user-ID: the variables do not exist for it, so the shim stops
	# at start, naming the first one, and logs nothing anywhere
	run as_nobody env VMMALLOC_POOL_DIR="$DIR" VMMALLOC_POOL_SIZE=16M \
		VMMALLOC_LOG_LEVEL=3 VMMALLOC_LOG_FILE="$logd/suid.log" "$probe"
	echo "setuid: $status $output"
	[ "$status" -eq 1 ]
	[ "$output" = "libvmmalloc: VMMALLOC_POOL_DIR is not set" ]
	[ ! -e "$logd/suid.log" ]
	[ -z "$(ls -A "$DIR")" ]
}
