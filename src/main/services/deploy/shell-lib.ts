/**
 * Shell functions both deploy jobs (the Dockerfile job in script.ts and the Compose job in compose-script.ts)
 * use; POSIX sh, spliced into those constant scripts (never with values: values come in OP_* variables).
 * now: seconds since the epoch. ms: milliseconds (falls back to seconds × 1000 where date has no %N).
 * probe <ip> <port> <path>: an HTTP GET answered 2xx/3xx within 3 s, with curl, wget or bash, whichever exists.
 * health_once <container>: one look at a new container: 0 = it answers (running, Docker's own HEALTHCHECK healthy
 *   if it has one, and the HTTP probe on $OP_NETWORK passes); 1 = not yet; 2 = not running (its state in $HSTATE).
 * caddy_site <upstream>: writes the app's Caddy site ($OP_SITE with __UPSTREAM__ replaced) and reloads Caddy; if
 *   Caddy refuses it, the previous site file comes back and the job fails (uses the job's fail and $J).
 * alias_base_images: for every from=to line of $OP_BASE_IMAGES (image overrides of FROM images), gets `to` (local
 *   or pulled) and tags it as `from`, so a Dockerfile's FROM resolves without a registry.
 */
export const JOB_SHELL_LIB = String.raw`
now() { date +%s; }
ms() { t=$(date +%s%N); case "$t" in *N) echo $(( $(date +%s) * 1000 ));; *) echo $(( t / 1000000 ));; esac; }
probe() {
  url="http://$1:$2$3"
  if command -v curl >/dev/null 2>&1; then
    code=$(curl -s -o /dev/null -m 3 -w '%{http_code}' "$url") || return 1
    case "$code" in 2*|3*) return 0;; esac; return 1
  elif command -v wget >/dev/null 2>&1; then wget -q -T 3 -O /dev/null "$url"
  elif command -v bash >/dev/null 2>&1; then
    timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1" || exit 1; printf "GET %s HTTP/1.0\r\nHost: health\r\n\r\n" "$2" >&3; read -r v c rest <&3; case "$c" in 2*|3*) exit 0;; esac; exit 1' "$1" "$2" "$3" 2>/dev/null
  else return 1; fi
}
health_once() {
  HSTATE=$(docker inspect -f '{{.State.Status}}' "$1" 2>/dev/null)
  [ "$HSTATE" = running ] || return 2
  hs=$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{end}}' "$1" 2>/dev/null)
  ip=$(docker inspect -f "{{with index .NetworkSettings.Networks \"$OP_NETWORK\"}}{{.IPAddress}}{{end}}" "$1" 2>/dev/null)
  [ -n "$ip" ] && { [ -z "$hs" ] || [ "$hs" = healthy ]; } && probe "$ip" "$OP_PORT" "$OP_HEALTH_PATH"
}
alias_base_images() {
  printf '%s\n' "$OP_BASE_IMAGES" > /tmp/base-images
  while IFS='=' read -r from to; do
    [ -n "$from" ] || continue
    docker image inspect "$to" >/dev/null 2>&1 || docker pull "$to" || fail "cannot get base image $to"
    docker tag "$to" "$from" || fail "cannot alias base image $from"
    echo "base image $from -> $to"
  done < /tmp/base-images
}
caddy_site() {
  mkdir -p "$(dirname "$OP_SITE_FILE")"
  if [ -f "$OP_SITE_FILE" ]; then cp -f "$OP_SITE_FILE" "$J/site.previous"; fi
  printf '%s\n' "$OP_SITE" | sed "s|__UPSTREAM__|$1|g" > "$OP_SITE_FILE.tmp" && mv -f "$OP_SITE_FILE.tmp" "$OP_SITE_FILE"
  if ! docker exec "$OP_PROXY_CONTAINER" caddy reload --config /etc/openpanel/Caddyfile --adapter caddyfile; then
    if [ -f "$J/site.previous" ]; then cp -f "$J/site.previous" "$OP_SITE_FILE"; else rm -f "$OP_SITE_FILE"; fi
    fail "the proxy did not take the new configuration (is it installed and running?)"
  fi
}
`;
