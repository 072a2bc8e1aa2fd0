/**
 * Docker's multiplexed stream (logs, attach, exec without a TTY): frames of an 8-byte header (stream type 0/1/2,
 * three zero bytes, big-endian length) and the payload. A TTY container's stream has no frames: it is returned as
 * stdout, as is. The one parser for every place that reads such a stream as a whole.
 */
export function demuxStreams(buf: Buffer): { stdout: Buffer; stderr: Buffer } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length && buf[i]! <= 2 && buf[i + 1] === 0 && buf[i + 2] === 0 && buf[i + 3] === 0) {
    const len = buf.readUInt32BE(i + 4);
    (buf[i] === 2 ? err : out).push(buf.subarray(i + 8, i + 8 + len));
    i += 8 + len;
  }
  if (i === 0) return { stdout: buf, stderr: Buffer.alloc(0) };
  return { stdout: Buffer.concat(out), stderr: Buffer.concat(err) };
}

/** Both streams as one text, in frame order (what `docker logs` prints). */
export function demuxLogs(buf: Buffer): string {
  const parts: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length && buf[i]! <= 2 && buf[i + 1] === 0 && buf[i + 2] === 0 && buf[i + 3] === 0) {
    const len = buf.readUInt32BE(i + 4);
    parts.push(buf.subarray(i + 8, i + 8 + len));
    i += 8 + len;
  }
  return i === 0 ? buf.toString('utf8') : Buffer.concat(parts).toString('utf8');
}
