# shellcheck shell=bash
# Shared helpers for bin/kafka-broker, bin/s3-server, bin/local-cluster and bin/flink.
# Sourced, not executed. Everything binds 127.0.0.1 only.

TT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TT_TOOLS="$TT_ROOT/tools/servers"
TT_LIBS="$TT_TOOLS/target"
TT_WORK="${TWOTOWER_WORK:-/tmp/twotower-servers}"
TT_HOST=127.0.0.1

if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
  TT_JAVA="$JAVA_HOME/bin/java"
else
  TT_JAVA="$(command -v java || true)"
fi

tt_die() { echo "$(basename "$0"): ERROR: $*" >&2; exit 1; }
tt_log() { echo "$(basename "$0"): $*" >&2; }

tt_require() {
  [[ -n "$TT_JAVA" ]] || tt_die "java not found (set JAVA_HOME or put java on PATH)"
  command -v curl >/dev/null || tt_die "curl not found"
}

# tt_lib NAME -> prints the folder holding the jars of tools/servers/NAME/pom.xml,
# resolving them with Maven on first use (or when the pom changed).
tt_lib() {
  local name="$1" dir="$TT_LIBS/$1-lib" pom="$TT_TOOLS/$1/pom.xml"
  [[ -f "$pom" ]] || tt_die "missing $pom"
  if [[ ! -f "$dir/.resolved" || "$pom" -nt "$dir/.resolved" || "$TT_TOOLS/pom.xml" -nt "$dir/.resolved" ]]; then
    command -v mvn >/dev/null || tt_die "mvn not found: needed once to resolve $name jars"
    mkdir -p "$TT_LIBS"
    (
      # one resolver at a time (several scripts may start in parallel)
      exec 9>"$TT_LIBS/.resolve.lock"
      flock 9
      if [[ ! -f "$dir/.resolved" || "$pom" -nt "$dir/.resolved" || "$TT_TOOLS/pom.xml" -nt "$dir/.resolved" ]]; then
        tt_log "resolving $name jars with Maven into $dir ..."
        rm -rf "$dir.tmp"
        if ! mvn -B -Dstyle.color=never -f "$pom" dependency:copy-dependencies \
          -DoutputDirectory="$dir.tmp" >"$TT_LIBS/resolve-$name.log" 2>&1; then
          rm -rf "$dir.tmp"
          tail -n 30 "$TT_LIBS/resolve-$name.log" >&2
          tt_die "mvn failed resolving $pom (full output: $TT_LIBS/resolve-$name.log)"
        fi
        rm -rf "$dir"
        mv "$dir.tmp" "$dir"
        touch "$dir/.resolved"
      fi
    ) || exit 1
  fi
  echo "$dir"
}

# tt_port_open PORT -> 0 when something accepts on 127.0.0.1:PORT
tt_port_open() {
  (exec 3<>"/dev/tcp/$TT_HOST/$1") 2>/dev/null
}

# tt_pid_alive PIDFILE MARKER -> prints pid and returns 0 when the recorded process still runs
# and is ours (its command line contains MARKER), so a recycled pid is never touched.
tt_pid_alive() {
  local pidfile="$1" marker="$2" pid
  [[ -f "$pidfile" ]] || return 1
  pid="$(cat "$pidfile" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [[ -r "/proc/$pid/cmdline" ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -F -- "$marker" >/dev/null || return 1
  echo "$pid"
}

# tt_stop_pid PID NAME [TIMEOUT_S]: SIGTERM, wait, then SIGKILL.
tt_stop_pid() {
  local pid="$1" name="$2" timeout="${3:-30}" i
  kill -TERM "$pid" 2>/dev/null || { tt_log "$name (pid $pid) stopped"; return 0; }
  for ((i = 0; i < timeout * 5; i++)); do
    kill -0 "$pid" 2>/dev/null || { tt_log "$name (pid $pid) stopped"; return 0; }
    sleep 0.2
  done
  tt_log "$name (pid $pid) did not stop after ${timeout}s: SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.2
  done
  tt_die "$name (pid $pid) survived SIGKILL"
}

tt_tail_log() {
  local f="$1"
  [[ -f "$f" ]] || return 0
  echo "----- last 40 lines of $f -----" >&2
  tail -n 40 "$f" >&2
  echo "-----" >&2
}

# tt_launch LOGFILE PIDFILE CMD... : start CMD detached (own session, stdin from /dev/null,
# output to LOGFILE) and record its pid.
tt_launch() {
  local log="$1" pidfile="$2"
  shift 2
  # setsid -f forks and does not report the child pid, so use a subshell that execs setsid
  # (a process that is not a group leader: setsid execs CMD in place, the pid stays the same).
  ( exec setsid "$@" </dev/null >>"$log" 2>&1 ) &
  echo $! >"$pidfile"
}
