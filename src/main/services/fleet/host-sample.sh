# One sample of the host and of its running containers, one key per line. Works with busybox and dash.
# Arguments: pairs of container id and the pid of its main process (from the engine). A container's CPU and memory
# are read from the cgroup of that pid, as the engine's own stats do, so a tick costs one request and no engine work.
# Reads with shell builtins: the only process it starts is df.
read -r line < /proc/stat && echo "$line"
cpus=0
while read -r key _; do
  case $key in cpu[0-9]*) cpus=$((cpus + 1)) ;; cpu) ;; *) break ;; esac
done < /proc/stat
echo "cpus $cpus"
while read -r key value _; do
  case $key in MemTotal: | MemAvailable:) echo "$key $value kB" ;; esac
done < /proc/meminfo
read -r line < /proc/loadavg && echo "$line"
read -r line < /proc/uptime && echo "$line"
df -Pk / | { read -r _ && read -r _ total used _ && echo "disk $total $used"; }

# Reads the first line of file $2 into variable $1, '-' when it cannot be read.
first() {
  eval "$1=-"
  [ -r "$2" ] && read -r "$1" < "$2"
  return 0
}
# Reads the value of key $3 in the "key value" file $2 into variable $1, '-' when absent.
keyed() {
  eval "$1=-"
  [ -r "$2" ] || return 0
  while read -r key value; do
    [ "$key" = "$3" ] && eval "$1=\$value" && return 0
  done < "$2"
}
while [ $# -ge 2 ]; do
  id=$1 pid=$2
  shift 2
  mem='' acct='' unified='' cpu=- usage=- inact=- limit=- usec=-
  if [ -r "/proc/$pid/cgroup" ]; then
    while IFS=: read -r _ controllers path; do
      case ",$controllers," in
        ,,) unified=$path ;;
        *,memory,*) mem=$path ;;
      esac
      case ",$controllers," in *,cpuacct,*) acct=$path ;; esac
    done < "/proc/$pid/cgroup"
  fi
  # A pid that is no longer the container's (it exited, the pid was reused) has a cgroup that does not name it.
  case "$mem$unified" in *"$id"*) ;; *) mem='' unified='' ;; esac
  if [ -n "$mem" ] && [ -n "$acct" ]; then
    m=/sys/fs/cgroup/memory$mem
    first cpu "/sys/fs/cgroup/cpuacct$acct/cpuacct.usage"
    first usage "$m/memory.usage_in_bytes"
    keyed inact "$m/memory.stat" inactive_file
    first limit "$m/memory.limit_in_bytes"
    echo "container $id $cpu $usage $inact $limit"
  elif [ -n "$unified" ] && [ -r "/sys/fs/cgroup$unified/cpu.stat" ]; then
    u=/sys/fs/cgroup$unified
    keyed usec "$u/cpu.stat" usage_usec
    first usage "$u/memory.current"
    keyed inact "$u/memory.stat" inactive_file
    first limit "$u/memory.max"
    echo "container $id ${usec}usec $usage $inact $limit"
  else
    echo "container $id"
  fi
done
