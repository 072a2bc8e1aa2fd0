# Removes a stack: `compose down` on the revision that runs (volumes only when asked), then the images built for
# every kept revision, the kept revisions and the app's proxy site. Output on stdout/stderr; exit code = result.
set -u
S="$OP_STACK_DIR"
# @include shell-lib.sh
# @include compose-lib.sh
write_inputs || { echo "!! cannot write the job's files: $WERR"; exit 1; }
find_compose || { echo "the builder image has no Compose CLI (it needs the docker compose plugin or docker-compose)"; exit 1; }
R=$(cat "$S/current" 2>/dev/null || true)
if [ -n "$R" ] && [ -f "$S/$R/compose-file" ]; then
  if [ -n "$OP_VOLUMES" ]; then with_env compose_rev "$R" down --remove-orphans --volumes || exit 1
  else with_env compose_rev "$R" down --remove-orphans || exit 1; fi
else
  echo "no kept revision: removing the containers of project $OP_PROJECT by label"
  for c in $(docker ps -aq --filter "label=com.docker.compose.project=$OP_PROJECT"); do docker rm -f "$c" >/dev/null || exit 1; done
fi
if [ -d "$S" ]; then
  for r in $(revisions); do
    for img in $(rev_images "$r"); do docker rmi "$img" >/dev/null 2>&1 && echo "removed image $img"; done
  done
  rm -rf "$S" || { echo "!! cannot remove $S"; exit 1; }
fi
rm -f /tmp/app.env
if [ -n "$OP_SITE_FILE" ] && [ -f "$OP_SITE_FILE" ]; then
  rm -f "$OP_SITE_FILE" "$OP_SITE_FILE.previous" || { echo "!! cannot remove the proxy site $(host_path "$OP_SITE_FILE")"; exit 1; }
  caddy_reload >/dev/null 2>&1 || true
fi
echo "stack $OP_PROJECT removed"
