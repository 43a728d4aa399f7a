#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Sysproxy with the real kernel, driven the way a user's script would:
#   sp_test.sh BINDIR WORKDIR MODE KERNEL_LIBDIR
# BINDIR holds sp_server (on our librumpuser), sp_client (on NetBSD's
# librumpclient) and sp_fuzz.  Every server lives in WORKDIR (its unix
# socket) or on 127.0.0.1, ends itself after 240 s at the latest (-t),
# and is normally ended by a client's reboot.  Only our own child
# processes are ever signalled.  Modes:
#   daemonize  the server daemonizes: the command returns once it serves
#              (exit 0, socket there); a client's calls work; reboot
#              ends it and removes the socket
#   two        two clients at once, each 300 checksummed file rounds
#   many       16 clients at once, 40 rounds each, 16 different processes
#   forkexec   a client forks (rumpclient_fork: prefork + fork handshake)
#              and execs itself (rumpclient_exec: exec handshake)
#   killed     a client killed (SIGKILL) while blocked in recvfrom: its
#              process ends (its port comes free), others go on
#   fuzz       a hostile client (sp_fuzz, fixed seed): dropped with a
#              logged reason, never a crash
#   tcp        the same calls over tcp://127.0.0.1:PORT
#   hijack     an unmodified Linux program (hijack_udp) under NetBSD's
#              librumphijack sends numbered UDP datagrams through the
#              kernel of one server (shmif, 10.93.0.1); a client of a
#              second server on the same bus (10.93.0.2) receives and
#              answers each: all must arrive intact
#   devices    the kernel's /dev/drvctl: its root devices' names written
#              into the client (copyoutstr) and each one's properties
#              in memory the client mapped for the kernel (anonmmap)
# Every mode also checks a kernel signal to a client (SIGPIPE, RAISE).
set -u
bin=$1 work=$2 mode=$3 libdir=$4
mkdir -p "$work" || exit 1
cd "$work" || exit 1
sock="$work/sp-$mode.sock"
# a previous run's outputs must go before anything starts: a background
# child truncates its output file only once it runs, and until then the
# checks below would read the old one
rm -f "$sock" "$sock.b" ./*.out ./*.err ./*.log
fail() {
	echo "FAIL ($mode): $*"
	[ -s server.log ] && sed 's/^/  server: /' server.log
	# leave nothing running: our own children only
	[ -n "${h:-}" ] && kill -KILL "$h" 2>/dev/null
	for p in ${pids:-}; do kill -KILL "$p" 2>/dev/null; done
	[ -n "${spid:-}" ] && kill "$spid" 2>/dev/null
	[ -n "${spid_b:-}" ] && kill "$spid_b" 2>/dev/null
	exit 1
}
client() { RUMP_SERVER=$url "$bin/sp_client" "$@"; }
# a bounded wait for a condition (up to 30 s)
waitfor() {
	i=0
	while ! eval "$1"; do
		i=$((i + 1)); [ $i -gt 300 ] && return 1
		sleep 0.1
	done
}
# a server in the background (not daemonized), serving at $url
start_bg() {
	"$bin/sp_server" "$url" -t 240 > server.out 2> server.log &
	spid=$!
	serving "server" server.out $spid
}
# a background server must say "serving" within 30 s
serving() {
	waitfor "grep -q serving $2" && return 0
	if kill -0 "$3" 2>/dev/null; then
		fail "$1 still not serving after 30 s"
	fi
	wait "$3"
	fail "$1 exited ($?) without serving"
}
# reboot the background server $spid; its stderr (the console: the
# kernel's printf through rumpuser_putchar) in ${1:-server.log} must end
# with the kernel's words on the way down
stop_bg() {
	client reboot || fail "reboot"
	waitfor "! kill -0 $spid 2>/dev/null" || fail "server still running after reboot"
	wait $spid; rc=$?
	[ $rc -eq 0 ] || fail "server exit status $rc after reboot"
	grep -q "^rump kernel halting\.\.\.$" "${1:-server.log}" ||
		fail "the kernel's console (rumpuser_putchar) did not reach ${1:-server.log}"
}
url="unix://$sock"

case $mode in
daemonize)
	# Started as a script starts a daemon: it must return, and serve.
	"$bin/sp_server" "$url" -d -t 240 > server.log 2>&1
	rc=$?
	[ $rc -eq 0 ] || fail "daemonizing server returned $rc"
	[ -S "$sock" ] || fail "daemonizing server returned before its socket exists"
	pid=$(client basic 7001) || fail "basic client"
	[ "$pid" -gt 1 ] || fail "client pid $pid"
	client signal || fail "kernel signal to the client"
	client reboot || fail "reboot"
	waitfor "[ ! -e '$sock' ]" || fail "socket left behind after reboot"
	# a daemonizing server that fails says so through its exit status
	"$bin/sp_server" "unix://$work/no/such/dir/s.sock" -d -t 30 > /dev/null 2>&1
	rc=$?
	[ $rc -ne 0 ] || fail "a server that could not listen returned 0"
	;;
two)
	start_bg
	RUMP_SERVER=$url "$bin/sp_client" loop 300 > a.out 2> a.err & a=$!
	RUMP_SERVER=$url "$bin/sp_client" loop 300 > b.out 2> b.err & b=$!
	wait $a; ra=$?
	wait $b; rb=$?
	[ $ra -eq 0 ] && [ $rb -eq 0 ] || fail "clients: $ra $rb: $(cat a.err b.err)"
	[ "$(cat a.out)" != "$(cat b.out)" ] || fail "both clients in process $(cat a.out)"
	stop_bg
	;;
many)
	start_bg
	pids=
	for k in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do
		RUMP_SERVER=$url "$bin/sp_client" loop 40 > "m$k.out" 2> "m$k.err" &
		pids="$pids $!"
	done
	k=0
	for p in $pids; do
		k=$((k + 1))
		wait "$p" || fail "client $k: $(cat "m$k.err")"
	done
	n=$(cat m*.out | sort -u | wc -l)
	[ "$n" -eq 16 ] || fail "16 clients in $n processes"
	stop_bg
	;;
forkexec)
	start_bg
	client fork || fail "fork"
	client exec || fail "exec"
	stop_bg
	;;
killed)
	start_bg
	# sp_client itself is the child (not a subshell running client())
	RUMP_SERVER=$url "$bin/sp_client" hold 7002 > hold.out 2> hold.err & h=$!
	waitfor "grep -q bound hold.out" || fail "holding client did not bind"
	client inuse 7002 || fail "port not in use while the holder lives"
	kill -KILL $h     # our own child, in the middle of its recvfrom
	wait $h
	client bindwait 7002 || fail "the killed client's process was not cleaned up"
	pid=$(client basic 7003) || fail "basic client after the kill"
	kill -0 $spid || fail "server died"
	stop_bg
	;;
fuzz)
	start_bg
	"$bin/sp_fuzz" "$sock" 0x5eed 200 || fail "fuzz"
	kill -0 $spid || fail "server died"
	n=$(grep -c 'sysproxy: client .* dropped: ' server.log)
	[ "$n" -ge 190 ] || fail "only $n drops logged"
	pid=$(client basic 7004) || fail "basic client after the fuzz"
	stop_bg
	;;
tcp)
	for try in 1 2 3 4 5; do
		port=$((20000 + ($$ * 7 + try * 977) % 30000))
		url="tcp://127.0.0.1:$port"
		"$bin/sp_server" "$url" -t 240 > server.out 2> server.log &
		spid=$!
		# the port may be taken: then the server exits at once
		waitfor "grep -q serving server.out || ! kill -0 $spid 2>/dev/null"
		grep -q serving server.out && break
		kill "$spid" 2>/dev/null
		wait $spid
	done
	grep -q serving server.out || fail "no free port for the server"
	pid=$(client basic 7005) || fail "basic client over tcp"
	client loop 50 > /dev/null || fail "loop over tcp"
	client signal || fail "kernel signal to the client over tcp"
	stop_bg
	;;
hijack)
	bus="$work/shmif.bus"
	rm -f "$bus"
	url="unix://$sock.b"
	"$bin/sp_server" "$url" -t 240 -n "$bus" 10.93.0.2 > server-b.out 2> server-b.log &
	spid_b=$!
	serving "server B" server-b.out $spid_b
	RUMP_SERVER=$url "$bin/sp_client" recv 7100 300 > recv.out 2> recv.err & h=$!
	url="unix://$sock"
	"$bin/sp_server" "$url" -t 240 -n "$bus" 10.93.0.1 > server.out 2> server.log &
	spid=$!
	serving "server A" server.out $spid
	RUMP_SERVER=$url LD_LIBRARY_PATH=$libdir LD_PRELOAD=$libdir/librumphijack.so \
		"$bin/hijack_udp" 10.93.0.2 7100 300 > hijack.out 2> hijack.err ||
		fail "hijack_udp: $(cat hijack.out hijack.err)"
	wait $h || fail "receiver: $(cat recv.err)"
	h=
	[ "$(cat recv.out)" = 300 ] || fail "receiver got $(cat recv.out)"
	stop_bg
	url="unix://$sock.b" spid=$spid_b
	stop_bg server-b.log
	;;
devices)
	"$bin/sp_server" "$url" -t 240 -c drvctl > server.out 2> server.log &
	spid=$!
	serving "server" server.out $spid
	client devices > devices.out 2> devices.err || fail "devices: $(cat devices.err)"
	grep -qx mainbus0 devices.out || fail "no mainbus0 among the root devices: $(cat devices.out)"
	client signal || fail "kernel signal to the client"
	stop_bg
	;;
*)
	fail "unknown mode"
	;;
esac
echo "PASS ($mode)"
