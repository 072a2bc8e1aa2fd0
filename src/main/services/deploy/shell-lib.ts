/**
 * Shell functions both deploy jobs (the Dockerfile job in script.ts and the Compose job in compose-script.ts)
 * use; POSIX sh, spliced into those constant scripts (never with values: values come in OP_* variables).
 * now: seconds since the epoch. ms: milliseconds (falls back to seconds × 1000 where date has no %N).
 * probe <ip> <port> <path>: an HTTP GET answered 2xx/3xx within 3 s, with curl, wget or bash, whichever exists.
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
`;
