import { randomBytes } from 'node:crypto';
import { P_INIT, S_INIT } from './blowfish-tables.ts';

/**
 * bcrypt ($2b$), what distribution's htpasswd auth accepts (and nothing else). Node has no bcrypt and the
 * registry image no htpasswd, so the app hashes the password itself and only the hash reaches the server.
 */

const ALPHABET = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const MAGIC = 'OrpheanBeholderScryDoubt';

class Eks {
  readonly P = Uint32Array.from(P_INIT);
  readonly S = Uint32Array.from(S_INIT);

  private f(x: number): number {
    const s = this.S;
    return ((((s[x >>> 24] as number) + (s[256 + ((x >>> 16) & 255)] as number)) ^ (s[512 + ((x >>> 8) & 255)] as number)) + (s[768 + (x & 255)] as number)) >>> 0;
  }

  encipher(block: Uint32Array, at: number): void {
    let l = block[at] as number;
    let r = block[at + 1] as number;
    l ^= this.P[0] as number;
    for (let i = 1; i < 16; i += 2) {
      r ^= this.f(l) ^ (this.P[i] as number);
      l ^= this.f(r) ^ (this.P[i + 1] as number);
    }
    block[at] = r ^ (this.P[17] as number);
    block[at + 1] = l;
  }

  /** ExpandKey(state, salt, key); with no salt, the plain key schedule. */
  expand(key: Uint8Array, salt: Uint8Array | null): void {
    let k = 0;
    const word = (bytes: Uint8Array, pos: { at: number }) => {
      let w = 0;
      for (let i = 0; i < 4; i++) {
        w = ((w << 8) | (bytes[pos.at] as number)) >>> 0;
        pos.at = (pos.at + 1) % bytes.length;
      }
      return w;
    };
    const keyPos = { at: k };
    for (let i = 0; i < 18; i++) this.P[i] = ((this.P[i] as number) ^ word(key, keyPos)) >>> 0;
    k = 0;
    const saltPos = { at: k };
    const block = new Uint32Array(2);
    const next = (target: Uint32Array, i: number) => {
      if (salt) {
        block[0] = (block[0] as number) ^ word(salt, saltPos);
        block[1] = (block[1] as number) ^ word(salt, saltPos);
      }
      this.encipher(block, 0);
      target[i] = block[0] as number;
      target[i + 1] = block[1] as number;
    };
    for (let i = 0; i < 18; i += 2) next(this.P, i);
    for (let i = 0; i < 1024; i += 2) next(this.S, i);
  }
}

function encode(bytes: Uint8Array, length: number): string {
  let out = '';
  let i = 0;
  while (i < length) {
    let c1 = bytes[i++] as number;
    out += ALPHABET.charAt((c1 >> 2) & 0x3f);
    c1 = (c1 & 0x03) << 4;
    if (i >= length) {
      out += ALPHABET.charAt(c1);
      break;
    }
    let c2 = bytes[i++] as number;
    c1 |= (c2 >> 4) & 0x0f;
    out += ALPHABET.charAt(c1);
    c1 = (c2 & 0x0f) << 2;
    if (i >= length) {
      out += ALPHABET.charAt(c1);
      break;
    }
    c2 = bytes[i++] as number;
    c1 |= (c2 >> 6) & 0x03;
    out += ALPHABET.charAt(c1) + ALPHABET.charAt(c2 & 0x3f);
  }
  return out;
}

function decode(text: string, length: number): Uint8Array {
  const out: number[] = [];
  const v = (i: number) => {
    const n = ALPHABET.indexOf(text[i] ?? '');
    if (n < 0) throw new Error('bcrypt: invalid salt encoding');
    return n;
  };
  let i = 0;
  while (out.length < length) {
    const c1 = v(i++);
    const c2 = v(i++);
    out.push(((c1 << 2) | ((c2 & 0x30) >> 4)) & 0xff);
    if (out.length >= length) break;
    const c3 = v(i++);
    out.push((((c2 & 0x0f) << 4) | ((c3 & 0x3c) >> 2)) & 0xff);
    if (out.length >= length) break;
    const c4 = v(i++);
    out.push((((c3 & 0x03) << 6) | c4) & 0xff);
  }
  return Uint8Array.from(out);
}

/** The hash of `password` with `setting` ("$2b$10$" + 22 salt characters). */
export function bcryptWith(password: string, setting: string): string {
  const m = /^\$2([aby])\$(\d\d)\$([./A-Za-z0-9]{22})/.exec(setting);
  if (!m) throw new Error('bcrypt: expected a setting like $2b$10$ + 22 salt characters');
  const cost = Number(m[2]);
  if (cost < 4 || cost > 31) throw new Error('bcrypt: cost must be 4 to 31');
  const salt = decode(m[3] as string, 16);
  const key = Buffer.concat([Buffer.from(password, 'utf8'), Buffer.from([0])]).subarray(0, 72);
  const state = new Eks();
  state.expand(key, salt);
  for (let i = 0; i < 2 ** cost; i++) {
    state.expand(key, null);
    state.expand(salt, null);
  }
  const text = new Uint32Array(6);
  const magic = Buffer.from(MAGIC, 'latin1');
  for (let i = 0; i < 6; i++) text[i] = magic.readUInt32BE(i * 4);
  for (let i = 0; i < 64; i++) for (let j = 0; j < 6; j += 2) state.encipher(text, j);
  const out = Buffer.alloc(24);
  for (let i = 0; i < 6; i++) out.writeUInt32BE(text[i] as number, i * 4);
  return `$2${m[1]}$${m[2]}$${encode(salt, 16)}${encode(out, 23)}`;
}

export function bcrypt(password: string, cost = 10): string {
  return bcryptWith(password, `$2b$${String(cost).padStart(2, '0')}$${encode(randomBytes(16), 16)}`);
}

/** One htpasswd line; the user name is checked by the contract (no colon, no line break). */
export function htpasswdLine(username: string, password: string): string {
  return `${username}:${bcrypt(password)}\n`;
}
