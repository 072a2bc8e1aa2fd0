# The deploy job of a Compose app (a stack), run by `sh -c` inside the builder container on the server, like the
# Dockerfile job (job.sh): constant POSIX sh, every value in OP_* variables (all always set), state in
# $OP_JOB_DIR/state.json and output in $OP_JOB_DIR/log, so the app can leave and re-attach at any time.
#
# Revisions: each deploy checks the source out into $OP_STACK_DIR/<deploy id>/src. That directory is bind-mounted
# at the same path in the builder as on the server, so the paths Compose resolves (build contexts, relative bind
# mounts like ./nginx.conf) are real paths on the server. Next to the source the job keeps compose-file (the file's
# path), images.yml (our override: a per-deploy image tag for every service that is built, and OpenPanel's labels
# on every service), commit and, once the revision has run, images.lock (service, image reference, image id of
# every container). $OP_STACK_DIR/current names the revision that runs.
#
# Env values never touch the server's disk: they sit in a 0600 file in the builder's own /tmp and are exported only
# into the environment of the compose commands (for ${NAME} interpolation, and for the routed service, whose
# override lists the names under `environment:`).
set -u
J="$OP_JOB_DIR"
S="$OP_STACK_DIR"
# @include shell-lib.sh
# @include compose-lib.sh
STEP=prepare; PROGRESS=0; COMMIT=""; BUILD_MS=null; UP=; PREV=; CONTAINER=
REV="$S/$OP_REVISION"
open_job
restore() {
  if [ -n "$PREV" ] && [ "$PREV" != "$OP_REVISION" ] && [ -f "$S/$PREV/compose-file" ]; then
    echo "==> Bringing the previous revision $PREV back up"
    with_env compose_rev "$PREV" up -d --no-build --remove-orphans || echo "!! the previous revision did not come back up"
  elif [ "$OP_KIND" = deploy ]; then
    echo "==> No previous revision: taking the new one down (volumes kept)"
    with_env compose_rev "$OP_REVISION" down --remove-orphans || true
  fi
}
fail() {
  failed_because "$1"
  echo "!! $FMSG"
  if [ -n "$UP" ]; then restore; fi
  if [ "$OP_KIND" = deploy ] && [ -d "$REV" ]; then
    for img in $(rev_images "$OP_REVISION"); do docker rmi "$img" >/dev/null 2>&1; done
    rm -rf "$REV"
  fi
  rm -f /tmp/app.env
  record_failure
}
write_inputs || fail "cannot write the job's files: $WERR"

step prepare 5 "Job $OP_JOB_ID ($OP_KIND) for stack $OP_PROJECT of app $OP_APP on $(hostname), docker $(docker version --format '{{.Server.Version}}' 2>/dev/null)"
find_compose || fail "the builder image has no Compose CLI (it needs the docker compose plugin or docker-compose)"
docker network inspect "$OP_NETWORK" >/dev/null 2>&1 || docker network create "$OP_NETWORK" >/dev/null || fail "cannot create network $OP_NETWORK"
mkdir -p "$S" || fail "cannot create $S"
PREV=$(cat "$S/current" 2>/dev/null || true)

if [ "$OP_KIND" = deploy ]; then
  step fetch 10 "Fetching the source"
  rm -rf "$REV"; mkdir -p "$REV" || fail "cannot create $REV"
  SRC="$REV/src"
  if [ -n "$OP_UPLOAD" ]; then
    [ -d /upload ] || fail "the uploaded source is missing"
    mv /upload "$SRC" || fail "cannot move the uploaded source into place"
    COMMIT=upload
  else
    if [ -n "$OP_DEPLOY_KEY" ]; then
      umask 077; put /tmp/deploy_key "$OP_DEPLOY_KEY" || fail "cannot write the deploy key: $WERR"; umask 022
      export GIT_SSH_COMMAND="ssh -i /tmp/deploy_key -o IdentitiesOnly=yes -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=/openpanel/known_hosts"
    fi
    OP_DEPLOY_KEY=
    git clone --depth 1 --branch "$OP_GIT_BRANCH" -- "$OP_GIT_URL" "$SRC" || fail "git clone of the branch failed"
    rm -f /tmp/deploy_key
    COMMIT=$(git -C "$SRC" rev-parse HEAD) || fail "cannot read the commit"
    echo "commit $COMMIT: $(git -C "$SRC" log -1 --format=%s)"
  fi
  put "$REV/commit" "$COMMIT" || fail "$WERR"

  step build 20 "Checking $OP_COMPOSE_FILE"
  [ -f "$SRC/$OP_COMPOSE_FILE" ] || fail "compose.file: $OP_COMPOSE_FILE does not exist in the source"
  put "$REV/compose-file" "$OP_COMPOSE_FILE" || fail "$WERR"
  with_env compose -p "$OP_PROJECT" -f "$SRC/$OP_COMPOSE_FILE" config -q || fail "compose.file: $OP_COMPOSE_FILE is not a valid Compose file (the error is above)"
  SERVICES=$(with_env compose -p "$OP_PROJECT" -f "$SRC/$OP_COMPOSE_FILE" config --services) || fail "compose.file: cannot list the services of $OP_COMPOSE_FILE"
  printf '%s\n' "$SERVICES" | grep -Fqx -- "$OP_SERVICE" || fail "compose.service: $OP_COMPOSE_FILE has no service named $OP_SERVICE (services: $(echo $SERVICES))"
  # Services with a build section, read from Compose's own normalised output (2-space indented YAML).
  BUILT=$(with_env compose -p "$OP_PROJECT" -f "$SRC/$OP_COMPOSE_FILE" config | awk '
# @include built-services.awk
')
  IMAGES_YML=$(
    echo "services:"
    for s in $SERVICES; do
      printf '  "%s":\n' "$s"
      if printf '%s\n' "$BUILT" | grep -Fqx -- "$s"; then
        printf '    image: "%s%s:%s"\n' "$OP_IMAGE_PREFIX" "$(printf '%s' "$s" | tr 'A-Z.' 'a-z-')" "$OP_REVISION"
      fi
      echo "    labels:"
      printf '%s\n' "$OP_LABELS" | while IFS='=' read -r k v; do [ -n "$k" ] && printf '      "%s": "%s"\n' "$k" "$v"; done
    done
  )
  put "$REV/images.yml" "$IMAGES_YML" || fail "$WERR"
  echo "services: $(echo $SERVICES); built here: $(echo $BUILT)"

  alias_base_images

  T0=$(ms)
  if [ -n "$BUILT" ]; then
    echo "==> Building $(echo $BUILT)"
    with_env compose_rev "$OP_REVISION" build || fail "compose build failed"
  fi
  BUILD_MS=$(( $(ms) - T0 ))
  echo "built in $BUILD_MS ms"
else
  step fetch 20 "Using the kept revision $OP_REVISION (no rebuild)"
  [ -f "$REV/compose-file" ] && [ -f "$REV/images.lock" ] || fail "the revision $OP_REVISION is no longer kept on the server"
  COMMIT=$(cat "$REV/commit" 2>/dev/null || true)
  for img in $(rev_images "$OP_REVISION"); do
    docker image inspect "$img" >/dev/null 2>&1 || fail "the image $img of this revision is no longer on the server"
  done
  # Images that were pulled: use the very image the revision ran (by id) when its tag has moved since.
  PINS=
  while read -r svc ref id; do
    [ -n "$id" ] || continue
    cur=$(docker image inspect -f '{{.Id}}' "$ref" 2>/dev/null || true)
    [ "$cur" = "$id" ] && continue
    docker image inspect "$id" >/dev/null 2>&1 || fail "the image $ref ($id) that service $svc ran is no longer on the server"
    echo "service $svc: $ref now names another image; using the recorded $id"
    PINS=$(printf '%s\n  "%s":\n    image: "%s"' "$PINS" "$svc" "$id")
  done < "$REV/images.lock"
  rm -f "/tmp/pins-$OP_REVISION.yml"
  if [ -n "$PINS" ]; then put "/tmp/pins-$OP_REVISION.yml" "services:$PINS" || fail "$WERR"; fi
fi

step start 70 "Starting the stack $OP_PROJECT (revision $OP_REVISION)"
UP=1
with_env compose_rev "$OP_REVISION" up -d --no-build --remove-orphans || fail "compose up failed"

step health 80 "Waiting until service $OP_SERVICE answers on port $OP_PORT$OP_HEALTH_PATH (up to $OP_HEALTH_TIMEOUT s)"
# The service's container, looked up again before each probe (Compose may still be replacing it).
service_container() {
  HC=$(docker ps -aq --filter "label=com.docker.compose.project=$OP_PROJECT" --filter "label=com.docker.compose.service=$OP_SERVICE" | head -n 1)
  [ -n "$HC" ] || fail "service $OP_SERVICE has no container"
}
HC=
wait_healthy "the container of service $OP_SERVICE stopped" "the health check of service $OP_SERVICE did not pass in time" service_container

step switch 90 "Routing to service $OP_SERVICE as $OP_ALIAS ($OP_PROXY)"
switch_route "$OP_ALIAS:$OP_PORT" "the switch was not confirmed: $OP_CHECK_HOST did not answer through the proxy"

step cleanup 95 "Recording revision $OP_REVISION and pruning old ones"
if [ "$OP_KIND" = deploy ]; then
  LOCK=$(for c in $(docker ps -aq --filter "label=com.docker.compose.project=$OP_PROJECT"); do
    docker inspect -f '{{index .Config.Labels "com.docker.compose.service"}} {{.Config.Image}} {{.Image}}' "$c"
  done) || fail "cannot read the stack's containers"
  put "$REV/images.lock" "$LOCK" || fail "$WERR"
fi
put "$S/current.tmp" "$OP_REVISION" || fail "$WERR"
mv -f "$S/current.tmp" "$S/current" || fail "cannot rename $S/current.tmp"
# Containers of this app outside the stack (deployed earlier from a Dockerfile).
for c in $(docker ps -aq --filter "label=openpanel.app=$OP_APP_ID"); do
  p=$(docker inspect -f '{{index .Config.Labels "com.docker.compose.project"}}' "$c")
  [ "$p" = "$OP_PROJECT" ] && continue
  echo "removing $(docker inspect -f '{{.Name}}' "$c") (not part of the stack)"
  docker stop -t 10 "$c" >/dev/null 2>&1; docker rm -f "$c" >/dev/null 2>&1
done
# Kept: the newest $OP_KEEP complete revisions and the one that runs; unfinished ones (failed, cancelled) go.
kept=0
for r in $(revisions | sort -r); do
  [ "$r" = "$OP_REVISION" ] && continue
  if [ -f "$S/$r/images.lock" ] && [ "$kept" -lt $((OP_KEEP - 1)) ]; then kept=$((kept + 1)); continue; fi
  for img in $(rev_images "$r"); do docker rmi "$img" >/dev/null 2>&1; done
  rm -rf "${S:?}/$r"
  echo "removed revision $r"
done
rm -f /tmp/app.env
succeed "Deployed revision $OP_REVISION of stack $OP_PROJECT"
