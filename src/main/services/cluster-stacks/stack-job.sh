# A stack deploy on a cluster manager, run by `sh -c` in the builder container (docker CLI, the engine's socket):
# constant POSIX sh, every value in OP_* variables (all always set); state in $OP_JOB_DIR/state.json and output in
# $OP_JOB_DIR/log, so the app can leave and re-attach at any time. The Compose file and OpenPanel's override were
# put into /stack before the container started: no value of the file is ever part of a command line.
set -u
J="$OP_JOB_DIR"
# @include shell-lib.sh
STEP=prepare; PROGRESS=0; COMMIT=""; BUILD_MS=null; CONTAINER=
# The result is kept on the cluster (a Swarm config, beside the deploy record) before the final state is written,
# so whoever sees the job ended finds it; the label keys are docker/labels.ts' managed, stack, deploy, stackResult.
keep_result() {
  printf '%s\n' "$2" | docker config create --label dev.openpanel.managed=true --label "openpanel.stack=$OP_STACK" \
    --label "openpanel.deploy=$OP_JOB_ID" --label "openpanel.stack.result=$1" "$OP_RESULT_CONFIG" - >/dev/null \
    || echo "!! the result could not be kept on the cluster (config $OP_RESULT_CONFIG)"
}
fail() {
  failed_because "$1"
  echo "!! $FMSG"
  keep_result failed "$FMSG"
  record failed "$STEP" "$PROGRESS" "$FMSG" || { echo "!! $FMSG (and the failure could not be recorded: $WERR)" >&3; exit 75; }
  exit 1
}
# <name> <state> <started> <message> of each service of the stack ($1: a service id).
service_status() {
  docker service inspect -f '{{.Spec.Name}}|{{if .UpdateStatus}}{{.UpdateStatus.State}}|{{if .UpdateStatus.StartedAt}}{{.UpdateStatus.StartedAt.Unix}}{{else}}0{{end}}|{{.UpdateStatus.Message}}{{else}}||0|{{end}}' "$1"
}
open_job

step prepare 5 "Job $OP_JOB_ID ($OP_KIND) of stack $OP_STACK on $(hostname), docker $(docker version --format '{{.Server.Version}}' 2>/dev/null)"
[ -f /stack/compose.yml ] && [ -f /stack/openpanel.yml ] || fail "the uploaded Compose files are missing"
[ "$(docker info --format '{{.Swarm.ControlAvailable}}' 2>/dev/null)" = true ] || fail "$(hostname) is not a swarm manager (any more)"

# A service still updating or rolling back (an earlier deploy's, Swarm's own) would refuse this update as out of
# sequence: wait (bounded) until the stack is settled.
busy_services() {
  for id in $(docker service ls -q --filter "label=com.docker.stack.namespace=$OP_STACK"); do
    st=$(service_status "$id" 2>/dev/null) || continue
    rest=${st#*|}
    case "${rest%%|*}" in
      updating|rollback_started) printf ' %s' "${st%%|*}" ;;
    esac
  done
}
SETTLE_END=$(( $(now) + 120 ))
while [ -n "$(busy_services)" ]; do
  [ "$(now)" -ge "$SETTLE_END" ] && fail "services of $OP_STACK are still updating or rolling back after 120 s:$(busy_services)"
  echo "==> Waiting for services of $OP_STACK still updating or rolling back"
  sleep 2
done

step deploy 20 "docker stack deploy --with-registry-auth --prune $OP_STACK"
T0=$(now)
# A clean environment: the stack's ${NAME} interpolation must not see the job's OP_* variables. A registry's
# credentials, when the deploy has one, are in the uploaded CLI config.
DCONF="${HOME:-/root}/.docker"
[ -f /stack/docker/config.json ] && DCONF=/stack/docker
env -i PATH="$PATH" HOME="${HOME:-/root}" DOCKER_CONFIG="$DCONF" docker stack deploy --with-registry-auth --prune \
  -c /stack/compose.yml -c /stack/openpanel.yml -- "$OP_STACK" || fail "docker stack deploy refused the stack (its error is above)"

step converge 60 "Waiting until every service of $OP_STACK runs its new spec (up to $OP_WAIT s)"
END=$(( T0 + OP_WAIT ))
sleep 1
while :; do
  PENDING=; ROLLED=
  for id in $(docker service ls -q --filter "label=com.docker.stack.namespace=$OP_STACK"); do
    st=$(service_status "$id") || { PENDING="$PENDING $id"; continue; }
    name=${st%%|*}; rest=${st#*|}; state=${rest%%|*}; rest=${rest#*|}; started=${rest%%|*}; msg=${rest#*|}
    # An update status from before this deploy (an earlier one's) says nothing about this one.
    [ "$started" -ge $(( T0 - 1 )) ] || state=
    # A rollback is waited for until it ends, and so is every other service, so the job leaves a settled stack (a
    # next deploy's update of a service that is still rolling back would be refused as out of sequence).
    case "$state" in
      rollback_completed|rollback_paused|paused) ROLLED="${ROLLED:-service $name: Swarm rolled the update back ($state): $msg}"; continue ;;
      updating|rollback_started) PENDING="$PENDING $name"; continue ;;
    esac
    reps=$(docker service ls --filter "id=$id" --format '{{.Replicas}}')
    run=${reps%%/*}; want=${reps#*/}; want=${want%% *}
    [ "$run" = "$want" ] || PENDING="$PENDING $name($reps)"
  done
  if [ -z "$PENDING" ]; then
    [ -n "$ROLLED" ] && fail "$ROLLED"
    break
  fi
  if [ "$(now)" -ge "$END" ]; then
    why=$(for s in $PENDING; do docker service ps --no-trunc --format '{{.Error}}' "${s%%(*}" 2>/dev/null | grep -v '^$' | head -n 1; done | head -n 1)
    fail "not running after $OP_WAIT s:$PENDING${why:+ (last task error: $why)}"
  fi
  sleep 1
done

STEP="done"; PROGRESS=100
rm -f "$J/reserve"
echo "==> Stack $OP_STACK deployed"
docker service ls --filter "label=com.docker.stack.namespace=$OP_STACK" --format '{{.Name}} {{.Replicas}} {{.Image}}'
keep_result succeeded "deployed"
record succeeded "done" 100 "" || { echo "!! deployed, but the result could not be recorded: $WERR" >&3; exit 75; }
