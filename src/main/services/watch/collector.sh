# The Watch container collector (POSIX sh: dash and busybox ash), run by `sh -c` in a container of the builder
# image with the Docker socket and the textfile volume mounted. A constant: its values arrive in OP_* variables.
# Every $OP_INTERVAL s it writes $OP_METRICS_DIR/containers.prom (through a .tmp file and mv, so node-exporter
# never reads half a file): restart count, running and health per container, and its own last run.
# A failing Docker call leaves the previous file in place (its heartbeat then goes stale) and the loop goes on.
set -u
D="${OP_METRICS_DIR:-/openpanel-metrics}"
N="${OP_INTERVAL:-15}"
case "$N" in '' | *[!0-9]*) N=15 ;; esac
[ "$N" -ge 1 ] || N=15
# Each Docker call is bounded: a hung engine must not stop the loop.
LIMIT=$((N < 10 ? 20 : N * 2))

# One Go template (docker inspect) prints finished samples. Label values are escaped there, as the Prometheus text
# format wants (\ then " then newline), so a hostile label value stays on its line. The app is OpenPanel's app-name
# label, else its app-id label (containers deployed before the name label existed), else empty.
# shellcheck disable=SC2016 # $n and $a are template variables, not shell ones
TEMPLATE='{{define "e"}}{{join (split (join (split (join (split . "\\") "\\\\") "\"") "\\\"") "\n") "\\n"}}{{end}}'\
'{{$n := slice .Name 1}}{{$a := index .Config.Labels "openpanel.app.name"}}{{if not $a}}{{$a = index .Config.Labels "openpanel.app"}}{{end}}'\
'openpanel_container_restart_count{container="{{template "e" $n}}",app="{{template "e" $a}}"} {{.RestartCount}}
openpanel_container_running{container="{{template "e" $n}}",app="{{template "e" $a}}"} {{if eq .State.Status "running"}}1{{else}}0{{end}}'\
'{{if and (eq .State.Status "running") .State.Health}}
openpanel_container_health{container="{{template "e" $n}}",app="{{template "e" $a}}",status="{{template "e" .State.Health.Status}}"} 1{{end}}'

bounded() { if command -v timeout >/dev/null 2>&1; then timeout "$LIMIT" "$@"; else "$@"; fi; }

family() {
  printf '# HELP %s %s\n# TYPE %s gauge\n' "$1" "$2" "$1"
  # Only whole samples of this family: a line a failed template left half written is dropped.
  printf '%s\n' "$SAMPLES" | grep -E "^$1\\{.*\\} [0-9]+\$"
  return 0
}

collect() {
  ids=$(bounded docker ps -aq) || { echo "collector: docker ps failed; containers.prom kept as it was" >&2; return 1; }
  SAMPLES=
  # A container removed between ps and inspect makes inspect exit non-zero: the others' samples still count.
  # shellcheck disable=SC2086 # one argument per id
  if [ -n "$ids" ]; then SAMPLES=$(bounded docker inspect --format "$TEMPLATE" $ids 2>/dev/null); fi
  if [ -n "$ids" ] && [ -z "$SAMPLES" ]; then echo "collector: docker inspect gave nothing; containers.prom kept as it was" >&2; return 1; fi
  {
    family openpanel_container_restart_count "Restarts of the container by Docker (RestartCount)."
    family openpanel_container_running "Whether the container is running (1) or not (0)."
    family openpanel_container_health "The container's health check status (only for running containers that have one)."
    printf '# HELP %s %s\n# TYPE %s gauge\n%s %s\n' openpanel_collector_last_run_timestamp_seconds \
      "When the collector last read Docker." openpanel_collector_last_run_timestamp_seconds openpanel_collector_last_run_timestamp_seconds "$(date +%s)"
  } > "$D/containers.prom.tmp" && mv -f "$D/containers.prom.tmp" "$D/containers.prom" || {
    echo "collector: cannot write $D/containers.prom" >&2
    rm -f "$D/containers.prom.tmp"
    return 1
  }
}

# PID 1 in its container: without a trap, SIGTERM (docker stop) would be ignored until the kill.
trap 'exit 0' TERM INT
while :; do
  collect
  sleep "$N" &
  wait $!
done
