# Functions both Compose scripts (compose-job.sh, compose-down.sh) use, after shell-lib.sh; $S is the stack dir.
# The Compose CLI is the builder's: the `docker compose` plugin when present (the docker:cli image has it), else
# `docker-compose` 1.29 (what Debian 12 ships). Nothing is installed on the server itself.
compose() { if [ "$CV" = 2 ]; then docker compose "$@"; else docker-compose "$@"; fi; }
find_compose() {
  if docker compose version >/dev/null 2>&1; then CV=2; echo "compose: $(docker compose version 2>&1)"
  elif command -v docker-compose >/dev/null 2>&1; then CV=1; echo "compose: $(docker-compose version --short 2>&1) (docker-compose)"
  else return 1; fi
}
# write_inputs: the env file (0600) and the routing override into the builder's /tmp; 1 + $WERR on failure.
write_inputs() {
  umask 077; put /tmp/app.env "$OP_APP_ENV"; r=$?; umask 022
  OP_APP_ENV=
  [ "$r" = 0 ] && put /tmp/route.json "$OP_ROUTE"
}
# Runs "$@" with the app's env values exported (a subshell: they never reach the rest of the job).
# shellcheck disable=SC2163 # each line is NAME=value: export it as such
with_env() { ( while IFS= read -r kv; do [ -n "$kv" ] && export "$kv"; done < /tmp/app.env; "$@" ) }
# compose_rev <revision> <compose args...>: compose on a kept revision, with the routing override and its images.
compose_rev() {
  r=$1; shift
  f=$(cat "$S/$r/compose-file") || return 1
  if [ -f "/tmp/pins-$r.yml" ]; then
    compose -p "$OP_PROJECT" -f "$S/$r/src/$f" -f /tmp/route.json -f "$S/$r/images.yml" -f "/tmp/pins-$r.yml" "$@"
  else
    compose -p "$OP_PROJECT" -f "$S/$r/src/$f" -f /tmp/route.json -f "$S/$r/images.yml" "$@"
  fi
}
rev_images() { sed -n 's/^    image: "\(.*\)"$/\1/p' "$S/$1/images.yml" 2>/dev/null; }
# revisions: the names in $S that are revisions (deploy ids: d then [a-z0-9]), one a line.
revisions() {
  for p in "$S"/d*; do
    r=${p##*/}
    case "$r" in *[!a-z0-9]*) continue;; esac
    echo "$r"
  done
}
