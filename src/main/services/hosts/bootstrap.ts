import { AppError } from '../core/errors.ts';
import type { SshConnection } from '../ssh/connection.ts';

/**
 * Installing Docker on a server that lacks it, from the distribution's own packages. The install runs on the
 * server, detached (setsid), logging to a file, so a closed laptop or a dropped link does not interrupt it;
 * running bootstrap again re-attaches to a running install or finds Docker already there (idempotent).
 * Every script here is a constant: no input reaches a remote shell.
 */
const STATE_DIR = '/var/lib/openpanel/bootstrap';

const INSTALL_SCRIPT = `set -eu
. /etc/os-release 2>/dev/null || { echo "openpanel: no /etc/os-release" >&2; exit 3; }
family="$ID \${ID_LIKE:-}"
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
    echo "openpanel: step apt-update"; apt-get update
    echo "openpanel: step install docker.io"; apt-get install -y --no-install-recommends docker.io
    ;;
  *" fedora "*)
    echo "openpanel: step install moby-engine"; dnf install -y moby-engine
    ;;
  *" amzn "*)
    echo "openpanel: step install docker"; yum install -y docker
    ;;
  *)
    echo "openpanel: unsupported system: $PRETTY_NAME (ID=$ID). Install Docker Engine yourself (for RHEL-family systems from Docker's docker-ce repository); OpenPanel adds no third-party repositories." >&2
    exit 3
    ;;
esac
echo "openpanel: step start docker"; start_docker
echo "openpanel: docker $(docker version --format '{{.Server.Version}}') is running"
`;

/** Starts the install unless Docker is there or an install is running; prints "state=…" and "pid=…". */
const LAUNCH_SCRIPT = `set -eu
dir=${STATE_DIR}
mkdir -p "$dir"
if docker version >/dev/null 2>&1; then echo state=present; exit 0; fi
if [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then echo state=running; echo pid=$(cat "$dir/pid"); exit 0; fi
rm -f "$dir/exit" "$dir/log"
printf '%s' "$0" > "$dir/install.sh"
setsid sh -c 'sh "$1/install.sh" > "$1/log" 2>&1; echo $? > "$1/exit"' sh "$dir" < /dev/null > /dev/null 2>&1 &
echo $! > "$dir/pid"
echo state=started; echo pid=$!
`;

/** Log bytes from an offset, and the exit code once the install ended. */
const POLL_SCRIPT = `dir=${STATE_DIR}
tail -c +$(( $1 + 1 )) "$dir/log" 2>/dev/null
printf '\\n@@openpanel-status@@ '
if [ -f "$dir/exit" ]; then cat "$dir/exit"; elif [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then echo running; else echo lost; fi
`;

export interface BootstrapProgress {
  phase: 'checking' | 'present' | 'installing' | 'done' | 'failed';
  step: string | null;
  log: string;
  exitCode: number | null;
}

async function asRoot(conn: SshConnection): Promise<string[]> {
  if (conn.options.endpoint.username === 'root') return [];
  const r = await conn.exec(['sudo', '-n', 'true'], { timeoutMs: 15_000 });
  if (r.code !== 0) throw new AppError('AUTH_FAILED', `Installing Docker needs root: connect as root, or give ${conn.options.endpoint.username} passwordless sudo.`);
  return ['sudo', '-n'];
}

/**
 * Runs (or re-attaches to) the install, yielding progress until it ends. Bounded: stops after `timeoutMs`.
 */
export async function* bootstrapDocker(conn: SshConnection, opts: { signal?: AbortSignal; timeoutMs?: number; pollMs?: number } = {}): AsyncGenerator<BootstrapProgress> {
  yield { phase: 'checking', step: null, log: '', exitCode: null };
  const sudo = await asRoot(conn);
  const launch = await conn.exec([...sudo, 'sh', '-c', LAUNCH_SCRIPT, INSTALL_SCRIPT], { timeoutMs: 30_000, ...(opts.signal ? { signal: opts.signal } : {}) });
  if (launch.code !== 0) throw new AppError('REMOTE_COMMAND_FAILED', `Could not start the Docker install: ${launch.stderr.trim() || launch.stdout.trim()}`);
  if (/state=present/.test(launch.stdout)) {
    yield { phase: 'present', step: null, log: 'Docker is already installed and running.', exitCode: 0 };
    return;
  }
  let offset = 0;
  let step: string | null = null;
  const deadline = Date.now() + (opts.timeoutMs ?? 30 * 60_000);
  while (Date.now() < deadline) {
    opts.signal?.throwIfAborted();
    let r;
    try {
      r = await conn.exec([...sudo, 'sh', '-c', POLL_SCRIPT, 'poll', String(offset)], { timeoutMs: 30_000, ...(opts.signal ? { signal: opts.signal } : {}) });
    } catch (e) {
      if (opts.signal?.aborted) throw e;
      // The link dropped: the install goes on on the server; poll again once reconnected.
      await new Promise((res) => setTimeout(res, opts.pollMs ?? 1000));
      continue;
    }
    const marker = r.stdout.lastIndexOf('\n@@openpanel-status@@ ');
    const chunk = marker >= 0 ? r.stdout.slice(0, marker) : r.stdout;
    const status = marker >= 0 ? r.stdout.slice(marker + 22).trim() : 'running';
    offset += Buffer.byteLength(chunk);
    // One progress event per step that started since the last poll, so no step goes unreported.
    const steps = [...chunk.matchAll(/openpanel: step (.+)/g)].map((m) => m[1]!.trim());
    for (const s of steps.slice(0, -1)) yield { phase: 'installing', step: s, log: '', exitCode: null };
    if (steps.length) step = steps.at(-1)!;
    if (status === 'running') {
      yield { phase: 'installing', step, log: chunk, exitCode: null };
      await new Promise((res) => setTimeout(res, opts.pollMs ?? 1000));
      continue;
    }
    const exitCode = Number(status);
    if (exitCode === 0) {
      yield { phase: 'done', step, log: chunk, exitCode };
      return;
    }
    yield { phase: 'failed', step, log: chunk, exitCode: Number.isFinite(exitCode) ? exitCode : null };
    const tail = chunk.trim().split('\n').slice(-3).join(' ');
    throw new AppError(exitCode === 3 ? 'UNSUPPORTED_SYSTEM' : 'REMOTE_COMMAND_FAILED', exitCode === 3 ? tail.replace(/^.*openpanel: /, '') : `Installing Docker failed (exit ${status}): ${tail}`);
  }
  throw new AppError('TIMEOUT', 'The Docker install did not finish in time; it may still be running on the server: run Bootstrap again to re-attach.');
}
