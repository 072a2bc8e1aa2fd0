/** A ustar archive of a few small files and folders (for Docker's putArchive, which extracts it as root). */
export function tarball(entries: { name: string; mode: number; data?: Buffer }[]): Buffer {
  const blocks: Buffer[] = [];
  const octal = (n: number, len: number) => `${n.toString(8).padStart(len - 1, '0')}\0`;
  for (const e of entries) {
    if (Buffer.byteLength(e.name) > 99) throw new Error(`tar entry name too long: ${e.name}`);
    const h = Buffer.alloc(512);
    const dir = e.data === undefined;
    h.write(dir && !e.name.endsWith('/') ? `${e.name}/` : e.name, 0, 100, 'utf8');
    h.write(octal(e.mode, 8), 100, 'ascii');
    h.write(octal(0, 8), 108, 'ascii');
    h.write(octal(0, 8), 116, 'ascii');
    h.write(octal(dir ? 0 : e.data!.length, 12), 124, 'ascii');
    h.write(octal(Math.floor(Date.now() / 1000), 12), 136, 'ascii');
    h.write('        ', 148, 'ascii');
    h.write(dir ? '5' : '0', 156, 'ascii');
    h.write('ustar\0', 257, 'ascii');
    h.write('00', 263, 'ascii');
    h.write('root', 265, 'ascii');
    h.write('root', 297, 'ascii');
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
    blocks.push(h);
    if (!dir) {
      blocks.push(e.data!);
      const pad = (512 - (e.data!.length % 512)) % 512;
      if (pad) blocks.push(Buffer.alloc(pad));
    }
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}
