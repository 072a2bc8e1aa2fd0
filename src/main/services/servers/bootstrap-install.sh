# Installs Docker from the distribution's own packages; run on the host by the job runner (jobs/host-run.sh), which
# defines `step`. Exit 3: a system this script does not know; 4: dockerd did not start.
set -eu
. /etc/os-release 2>/dev/null || { echo "openpanel: no /etc/os-release" >&2; exit 3; }
family="$ID ${ID_LIKE:-}"
echo "openpanel: detected $PRETTY_NAME"
start_docker() {
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then systemctl enable --now docker || echo "openpanel: systemctl could not start docker"
  elif [ -x /etc/init.d/docker ]; then service docker start || echo "openpanel: the init script could not start docker"
  fi
  i=0; direct=0
  until docker version >/dev/null 2>&1; do
    i=$((i+1))
    if [ $i -ge 5 ] && [ $direct -eq 0 ]; then
      direct=1; echo "openpanel: starting dockerd directly"
      (setsid dockerd >/var/log/openpanel-dockerd.log 2>&1 < /dev/null &)
    fi
    if [ $i -gt 90 ]; then echo "openpanel: dockerd did not start; end of /var/log/openpanel-dockerd.log:" >&2; tail -n 20 /var/log/openpanel-dockerd.log >&2 || true; exit 4; fi
    sleep 1
  done
}
case " $family " in
  *" debian "*|*" ubuntu "*)
    export DEBIAN_FRONTEND=noninteractive
    step apt-update 25; apt-get update
    step "install docker.io" 50; apt-get install -y --no-install-recommends docker.io
    ;;
  *" fedora "*)
    step "install moby-engine" 50; dnf install -y moby-engine
    ;;
  *" amzn "*)
    step "install docker" 50; yum install -y docker
    ;;
  *)
    echo "openpanel: unsupported system: $PRETTY_NAME (ID=$ID). Install Docker Engine yourself (for RHEL-family systems from Docker's docker-ce repository); OpenPanel adds no third-party repositories." >&2
    exit 3
    ;;
esac
step "start docker" 75; start_docker
echo "openpanel: docker $(docker version --format '{{.Server.Version}}') is running"
