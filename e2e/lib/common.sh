# shellcheck shell=bash
# Small helpers shared by the e2e scripts: messages, ports, and the life of
# one background process (start, health wait, stop) recorded in the state dir.
#
# A component <name> leaves in the state dir:
#   pids/<name>.pid   its PID
#   pids/<name>.exe   the binary it runs, so a recycled PID is never killed
#   logs/<name>.log   its stdout and stderr

log() { echo "e2e/cluster: $*" >&2; }
die() {
  log "error: $*"
  exit 1
}

# ---- ports -----------------------------------------------------------------

# port_in_use <port>: true if something listens on 127.0.0.1:<port> or on
# the wildcard address (either would make our bind fail).
port_in_use() {
  local port="$1"
  if command -v ss >/dev/null 2>&1; then
    [[ -n "$(ss -Hltn "sport = :$port" 2>/dev/null)" ]]
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
  fi
}

# free_port: a port the kernel considers free right now on 127.0.0.1.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# choose_port <env var name> <default>: the port from the environment if set
# (it must be free: the caller asked for it), else the default if free, else
# any free port. Prints the port.
choose_port() {
  local var="$1" default="$2" port
  port="${!var:-}"
  if [[ -n "$port" ]]; then
    port_in_use "$port" && die "$var=$port is already in use on this machine"
    echo "$port"
    return
  fi
  if port_in_use "$default"; then
    port="$(free_port)"
    log "port $default is busy, using $port instead (set $var to choose)"
    echo "$port"
  else
    echo "$default"
  fi
}

# ---- processes -------------------------------------------------------------

pid_file() { echo "$STATE_DIR/pids/$1.pid"; }

# component_pid <name>: the recorded PID if that process is still alive and
# still runs the recorded binary; fails otherwise.
component_pid() {
  local name="$1" pid exe actual
  pid="$(cat "$(pid_file "$name")" 2>/dev/null)" || return 1
  exe="$(cat "$STATE_DIR/pids/$name.exe" 2>/dev/null)" || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  actual="$(readlink "/proc/$pid/exe" 2>/dev/null)" || return 1
  # A binary replaced on disk while running reads as "<path> (deleted)".
  [[ "$actual" == "$exe" || "$actual" == "$exe (deleted)" ]] && return 0
  # For a moment after start_component, nsenter has not exec'd the binary yet.
  [[ -f "$STATE_DIR/pids/$name.netns" && "$actual" == "$(command -v nsenter)" ]]
}

# start_component <name> <binary> <args>...: starts it in the background,
# detached from our session (setsid) so that a Ctrl-C or a test runner
# killing its process group does not take the control plane down with it.
# stdin is /dev/null and output goes to the log, so callers that capture our
# output (pytest's subprocess.run) do not wait for the daemon.
start_component() {
  local name="$1" bin="$2"
  shift 2
  mkdir -p "$STATE_DIR/pids" "$STATE_DIR/logs"
  local logf="$STATE_DIR/logs/$name.log"
  echo "---- $(date -u +%FT%TZ) starting: $bin $*" >>"$logf"
  # Without job control a background child is not a process-group leader,
  # so setsid makes its session without forking and $! is the daemon's PID.
  # START_NETNS (a /run/netns path) starts it inside that network namespace;
  # nsenter execs the binary in the same process.
  if [[ -n "${START_NETNS:-}" ]]; then
    setsid nsenter --net="$START_NETNS" -- "$bin" "$@" </dev/null >>"$logf" 2>&1 &
  else
    setsid "$bin" "$@" </dev/null >>"$logf" 2>&1 &
  fi
  echo "$!" >"$(pid_file "$name")"
  echo "$bin" >"$STATE_DIR/pids/$name.exe"
  if [[ -n "${START_NETNS:-}" ]]; then echo "$START_NETNS" >"$STATE_DIR/pids/$name.netns"; fi
}

# stop_component <name> [grace seconds, default 10]: SIGTERM, then SIGKILL
# after the grace period. Only the recorded process is touched, and only if
# it still runs our binary.
stop_component() {
  local name="$1" grace="${2:-10}" pid i
  if component_pid "$name"; then
    pid="$(cat "$(pid_file "$name")")"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < grace * 10; i++)); do
      component_pid "$name" || break
      sleep 0.1
    done
    if component_pid "$name"; then
      log "$name (pid $pid) still running ${grace}s after SIGTERM, sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      for ((i = 0; i < 50; i++)); do
        component_pid "$name" || break
        sleep 0.1
      done
    fi
  fi
  rm -f "$(pid_file "$name")" "$STATE_DIR/pids/$name.exe" "$STATE_DIR/pids/$name.netns"
}

# show_log_tail <name>: the end of a component's log, for a failure message.
show_log_tail() {
  local logf="$STATE_DIR/logs/$1.log"
  [[ -f "$logf" ]] || return 0
  echo "----- last 40 lines of $logf -----" >&2
  tail -n 40 "$logf" >&2
  echo "-----" >&2
}

# wait_healthy <name> <timeout seconds> <command>...: polls the command until
# it succeeds. Fails early, with the log tail, if the process exits.
wait_healthy() {
  local name="$1" timeout="$2"
  shift 2
  local deadline=$((SECONDS + timeout))
  while ! "$@" >/dev/null 2>&1; do
    if ! component_pid "$name"; then
      log "$name exited during startup"
      show_log_tail "$name"
      return 1
    fi
    if ((SECONDS >= deadline)); then
      log "$name not healthy after ${timeout}s"
      show_log_tail "$name"
      return 1
    fi
    sleep 0.2
  done
}
