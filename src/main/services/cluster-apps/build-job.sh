# The build job of a cluster app deployed from git, run by `sh -c` in the builder container on the build server
# (POSIX sh). A constant: values arrive in OP_* variables. deploy/shell-lib.sh is put in front of it when it is
# sent (git-build.ts), for the job files (state.json written atomically, log), the steps and the base image aliases.
# It only builds: the app pushes with the registry's credentials through the Engine API, so none reach the server.
# shellcheck disable=SC2034 # J, STEP, PROGRESS, CONTAINER are read by the shell library put in front
set -u
J="$OP_JOB_DIR"
STEP=prepare; PROGRESS=0; COMMIT=""; SUBJECT=""; BUILD_MS=null; CONTAINER=""
open_job
fail() {
  failed_because "$1"
  echo "!! $1"
  record_failure
}

step fetch 10 "Build $OP_JOB_ID of $OP_APP on $(hostname), docker $(docker version --format '{{.Server.Version}}' 2>/dev/null)"
SRC=/tmp/src
rm -rf "$SRC"
if [ -n "$OP_GIT_REF" ]; then
  git clone --depth 1 --branch "$OP_GIT_REF" -- "$OP_GIT_URL" "$SRC" || fail "git clone of $OP_GIT_REF failed"
else
  git clone --depth 1 -- "$OP_GIT_URL" "$SRC" || fail "git clone failed"
fi
COMMIT=$(git -C "$SRC" rev-parse HEAD) || fail "cannot read the commit"
SUBJECT=$(git -C "$SRC" log -1 --format=%s)
echo "commit $COMMIT: $SUBJECT"
[ -f "$SRC/$OP_DOCKERFILE" ] || fail "the repository has no $OP_DOCKERFILE"
[ -d "$SRC/$OP_CONTEXT" ] || fail "the repository has no folder $OP_CONTEXT (the build context)"
alias_base_images

step build 30 "Building $OP_IMAGE"
T0=$(ms)
docker build -t "$OP_IMAGE" -f "$SRC/$OP_DOCKERFILE" --label "openpanel.app=$OP_APP" --label "openpanel.commit=$COMMIT" --label "openpanel.deploy=$OP_JOB_ID" "$SRC/$OP_CONTEXT" || fail "docker build failed"
BUILD_MS=$(( $(ms) - T0 ))
rm -rf "$SRC"
succeed "Built $OP_IMAGE from $COMMIT in $BUILD_MS ms"
