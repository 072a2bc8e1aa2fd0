# Server facts as key=value lines; no input reaches this script. POSIX sh and busybox.
# Sizes stay the kB strings the kernel and df print: mawk's printf "%d" caps at 2^31-1, so no arithmetic in awk.
if [ -r /etc/os-release ]; then . /etc/os-release; fi
printf 'os=%s\nosid=%s\nosver=%s\n' "${PRETTY_NAME:-unknown}" "${ID:-unknown}" "${VERSION_ID:-}"
printf 'hostname=%s\n' "$(cat /proc/sys/kernel/hostname 2>/dev/null || hostname)"
printf 'kernel=%s\narch=%s\n' "$(uname -r)" "$(uname -m)"
printf 'cpus=%s\n' "$(grep -c '^processor' /proc/cpuinfo)"
awk '/^MemTotal:/ {print "memkb=" $2}' /proc/meminfo
df -Pk / | awk 'NR==2 {print "disktotalkb=" $2; print "diskfreekb=" $4}'
awk '{print "uptime=" $1}' /proc/uptime
