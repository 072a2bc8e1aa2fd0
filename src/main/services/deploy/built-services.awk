# The services that have a build section, from the normalised `config` output of Compose (docker-compose 1.29 and
# the v2 plugin both print 2-space indented YAML: services at 2 spaces, their keys at 4). compose-job.sh includes
# this program inside single quotes, so it has none.
/^[^ ]/ { insvc = ($0 == "services:"); svc = ""; next }
insvc && /^  [^ ]/ { svc = $0; sub(/^  /, "", svc); sub(/:.*$/, "", svc); gsub(/["\047]/, "", svc); next }
insvc && svc != "" && /^    build:/ { print svc }
