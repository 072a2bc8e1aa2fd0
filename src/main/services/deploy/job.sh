# The deploy job, run by `sh -c` inside the builder container on the server (POSIX sh: dash and busybox ash). It is
# a constant: every value arrives in OP_* environment variables (all of them always set, possibly empty), never
# spliced into the text. It writes its progress to $OP_JOB_DIR/state.json (atomically) and its output to
# $OP_JOB_DIR/log, so the app can go away and re-attach at any time. The builder runs in the server's network
# namespace with the Docker socket mounted.
set -u
J="$OP_JOB_DIR"
STEP=prepare; PROGRESS=0; COMMIT=""; SUBJECT=""; BUILD_MS=null; STARTED=; CONTAINER="$OP_CONTAINER"
# @include shell-lib.sh
open_job
fail() {
  failed_because "$1"
  echo "!! $FMSG"
  if [ -n "$STARTED" ]; then docker rm -f "$OP_CONTAINER" >/dev/null 2>&1; fi
  record_failure
}

step prepare 5 "Job $OP_JOB_ID ($OP_KIND) for app $OP_APP on $(hostname), docker $(docker version --format '{{.Server.Version}}' 2>/dev/null)"
docker network inspect "$OP_NETWORK" >/dev/null 2>&1 || docker network create "$OP_NETWORK" >/dev/null || fail "cannot create network $OP_NETWORK"

if [ "$OP_KIND" = deploy ]; then
  step fetch 10 "Fetching the source"
  SRC=/src
  rm -rf "$SRC"
  if [ -n "$OP_UPLOAD" ]; then
    [ -d /upload ] || fail "the uploaded build context is missing"
    mv /upload "$SRC" || fail "cannot move the uploaded build context into place"
    COMMIT=upload
  else
    if [ -n "$OP_GIT_SSH" ]; then
      command -v ssh >/dev/null 2>&1 || fail "the builder image has no ssh client, which an ssh git URL needs (map docker:27-cli to an image with openssh-client in the image overrides)"
      # The git server's host key is pinned on first use, per server, in the data dir (known_hosts).
      SSH="ssh -o BatchMode=yes -o StrictHostKeyChecking=accept-new -o HashKnownHosts=no -o UserKnownHostsFile=/openpanel/known_hosts"
      if [ -n "$OP_DEPLOY_KEY" ]; then
        umask 077; put /tmp/deploy_key "$OP_DEPLOY_KEY" || fail "cannot write the deploy key: $WERR"; umask 022
        SSH="$SSH -i /tmp/deploy_key -o IdentitiesOnly=yes"
      fi
      export GIT_SSH_COMMAND="$SSH"
    fi
    OP_DEPLOY_KEY=
    gerr=$(git clone --depth 1 --branch "$OP_GIT_BRANCH" -- "$OP_GIT_URL" "$SRC" 2>&1); rc=$?
    printf '%s\n' "$gerr"
    rm -f /tmp/deploy_key
    if [ "$rc" -ne 0 ]; then
      if printf '%s\n' "$gerr" | grep -q -e 'IDENTIFICATION HAS CHANGED' -e 'Host key verification failed'; then
        fail "the git server's host key differs from the one pinned on first use (known_hosts in the server's data dir): changed or spoofed? If the change is expected, delete its line there (ssh-keygen -R) and deploy again"
      fi
      if printf '%s\n' "$gerr" | grep -q -e 'Permission denied (publickey'; then
        fail "the git server refused the SSH login (add the app's public deploy key to the repository, with read access)"
      fi
      fail "git clone of the branch failed"
    fi
    COMMIT=$(git -C "$SRC" rev-parse HEAD) || fail "cannot read the commit"
    SUBJECT=$(git -C "$SRC" log -1 --format=%s)
    echo "commit $COMMIT: $SUBJECT"
  fi
  alias_base_images
  # The app's Dockerfile override (kept with the app, see override.ts), written into the fetched build context.
  if [ -n "$OP_DOCKERFILE_OVERRIDE" ]; then
    mkdir -p "$(dirname "$SRC/$OP_DOCKERFILE")" || fail "cannot create the folder of $OP_DOCKERFILE"
    printf '%s\n' "$OP_DOCKERFILE_OVERRIDE" > "$SRC/$OP_DOCKERFILE" || fail "cannot write the Dockerfile override"
    echo "using the app's Dockerfile override as $OP_DOCKERFILE (not from the repository)"
  fi
  if [ -n "$OP_DOCKERIGNORE_OVERRIDE" ]; then
    printf '%s\n' "$OP_DOCKERIGNORE_OVERRIDE" > "$SRC/.dockerignore" || fail "cannot write the .dockerignore override"
    echo "using the app's .dockerignore override"
  fi
  OP_DOCKERFILE_OVERRIDE=; OP_DOCKERIGNORE_OVERRIDE=
  step build 20 "Building $OP_IMAGE"
  T0=$(ms)
  docker build -t "$OP_IMAGE" -f "$SRC/$OP_DOCKERFILE" --label "openpanel.app=$OP_APP_ID" --label "openpanel.commit=$COMMIT" --label "openpanel.deploy=$OP_JOB_ID" "$SRC" || fail "docker build failed"
  BUILD_MS=$(( $(ms) - T0 ))
  echo "built in $BUILD_MS ms"
else
  step fetch 20 "Using the kept image $OP_IMAGE (no rebuild)"
  docker image inspect "$OP_IMAGE" >/dev/null 2>&1 || fail "the image is no longer on the server"
  COMMIT=$(docker image inspect -f '{{index .Config.Labels "openpanel.commit"}}' "$OP_IMAGE" 2>/dev/null || true)
fi

step start 70 "Starting $OP_CONTAINER"
put /tmp/labels "$OP_LABELS" || fail "cannot write the labels: $WERR"
umask 077; put /tmp/app.env "$OP_APP_ENV" || fail "cannot write the app's env file: $WERR"; umask 022
OP_APP_ENV=
set -- docker create --name "$OP_CONTAINER" --network "$OP_NETWORK" --restart "$OP_RESTART" --label-file /tmp/labels --env-file /tmp/app.env
if [ -n "$OP_MEMORY" ]; then set -- "$@" --memory "$OP_MEMORY"; fi
if [ -n "$OP_CPUS" ]; then set -- "$@" --cpus "$OP_CPUS"; fi
STARTED=1
"$@" "$OP_IMAGE" >/dev/null || { rm -f /tmp/app.env; fail "docker create failed"; }
rm -f /tmp/app.env
# The databases' network, when the server has one: joined before the start, so the app reaches them at once.
if [ -n "$OP_DATA_NETWORK" ] && docker network inspect "$OP_DATA_NETWORK" >/dev/null 2>&1; then
  docker network connect "$OP_DATA_NETWORK" "$OP_CONTAINER" || fail "cannot join the databases' network $OP_DATA_NETWORK"
  echo "joined the databases' network $OP_DATA_NETWORK"
fi
docker start "$OP_CONTAINER" >/dev/null || fail "docker start failed"

step health 80 "Waiting until $OP_CONTAINER answers on port $OP_PORT$OP_HEALTH_PATH (up to $OP_HEALTH_TIMEOUT s)"
HC="$OP_CONTAINER"
wait_healthy "the container stopped" "the health check did not pass in time"

step switch 90 "Switching traffic to $OP_CONTAINER ($OP_PROXY)"
switch_route "$OP_CONTAINER:$OP_PORT" "the switch was not confirmed: $OP_CHECK_HOST did not answer through the proxy with the new version (the previous one serves again)" drop

step cleanup 95 "Stopping the previous containers"
sleep "$OP_DRAIN"
for c in $(docker ps -aq --filter "label=openpanel.app=$OP_APP_ID"); do
  name=$(docker inspect -f '{{.Name}}' "$c")
  [ "$name" = "/$OP_CONTAINER" ] && continue
  echo "stopping $name"
  docker stop -t 10 "$c" >/dev/null 2>&1; docker rm -f "$c" >/dev/null 2>&1
done
docker images --filter "label=openpanel.app=$OP_APP_ID" --format '{{.Repository}}:{{.Tag}}' | tail -n +$((OP_KEEP + 1)) | while read -r img; do
  [ "$img" = "$OP_IMAGE" ] || { echo "removing old image $img"; docker rmi "$img" >/dev/null 2>&1; }
done
succeed "Deployed $OP_IMAGE as $OP_CONTAINER"
