# Raw host counters from /proc and df, one key per line; no input reaches this script. Works with busybox.
head -n1 /proc/stat
grep -E '^(MemTotal|MemAvailable):' /proc/meminfo
cat /proc/loadavg
cat /proc/uptime
df -Pk / | awk 'NR==2 {print "disk", $2, $3}'
