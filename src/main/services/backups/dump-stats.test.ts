import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { DumpStats } from './dump-stats.ts';

describe('DumpStats', () => {
  it('counts COPY rows per table across chunk boundaries and hashes every byte', () => {
    const dump = 'SET x = 1;\nCOPY public.items (id, name) FROM stdin;\n1\ta\n2\tb\n3\tc\n\\.\nCOPY "Shop"."Orders" FROM stdin;\n\\.\nCOPY public.t (v) FROM stdin;\n9\n\\.\n';
    const s = new DumpStats();
    for (let i = 0; i < dump.length; i += 7) s.update(Buffer.from(dump.slice(i, i + 7)));
    expect(s.digest()).toBe(createHash('sha256').update(dump).digest('hex'));
    expect(Object.fromEntries(s.rows)).toEqual({ 'public.items': 3, 'Shop.Orders': 0, 'public.t': 1 });
    expect(s.bytes).toBe(dump.length);
  });
});

describe('DumpStats on mariadb-dump output', () => {
  const dump = [
    '/*!40101 SET NAMES utf8mb4 */;',
    'DROP TABLE IF EXISTS `items`;',
    'CREATE TABLE `items` (\n  `id` int(11) NOT NULL,\n  `name` text\n) ENGINE=InnoDB;',
    "INSERT INTO `items` VALUES (1,'a),(b'),(2,'it\\'s (x)'),(3,'back\\\\'),(4,NULL),(5,0x28290A);",
    "INSERT INTO `items` VALUES (6,'o''k ('),(7,'\\n');",
    'INSERT INTO `we``ird` (`a`, `b`) VALUES (1,2);',
    'INSERT INTO `empty_looking` VALUES ();',
    `INSERT INTO \`big\` VALUES ${Array.from({ length: 5000 }, (_, i) => `(${i},'${'x'.repeat(30)}(')`).join(',')};`,
    'INSERT INTO `items` VALUES',
    "(8,'multi-line format; of mariadb-dump 10.11'),",
    "(9,'x'),",
    '(10,NULL);',
    '/*!40000 ALTER TABLE `items` ENABLE KEYS */;',
    '-- Dump completed',
    '',
  ].join('\n');
  it.each([1, 3, 7, 64, 4096, dump.length])('counts tuples per table in chunks of %i bytes', (size) => {
    const s = new DumpStats();
    const buf = Buffer.from(dump, 'latin1');
    for (let i = 0; i < buf.length; i += size) s.update(buf.subarray(i, i + size));
    expect(s.digest()).toBe(createHash('sha256').update(buf).digest('hex'));
    expect(Object.fromEntries(s.rows)).toEqual({ items: 10, 'we`ird': 1, empty_looking: 1, big: 5000 });
  });
});

describe('DumpStats row content digests', () => {
  const stats = (dump: string, size: number) => {
    const s = new DumpStats();
    const buf = Buffer.from(dump, 'latin1');
    for (let i = 0; i < buf.length; i += size) s.update(buf.subarray(i, i + size));
    s.digest();
    return s;
  };
  const copy = (rows: string[]) => `COPY public.items (id, name) FROM stdin;\n${rows.map((r) => `${r}\n`).join('')}\\.\nCOPY public.other FROM stdin;\n1\n\\.\n`;
  const insert = (tuples: string[], sep = ',') => `INSERT INTO \`items\` VALUES ${tuples.join(sep)};\nINSERT INTO \`other\` VALUES\n(1),\n(2);\n`;

  it.each([1, 5, 4096])('COPY: equal for the same rows in any order, different when one byte of one row differs (chunks of %i)', (size) => {
    const a = stats(copy(['1\tapple', '2\tpear', '3\t\\N']), size);
    const b = stats(copy(['3\t\\N', '1\tapple', '2\tpear']), 3);
    const c = stats(copy(['1\tapple', '2\tpeas', '3\t\\N']), size);
    expect(a.content.get('public.items')).toBe(b.content.get('public.items'));
    expect(a.content.get('public.items')).not.toBe(c.content.get('public.items'));
    expect(a.content.get('public.other')).toBe(c.content.get('public.other'));
    expect(a.rows).toEqual(c.rows);
    // A duplicated row is not cancelled out (a sum, not a XOR).
    expect(stats(copy(['1\ta', '1\ta']), size).content.get('public.items')).not.toBe(stats(copy([]), size).content.get('public.items') ?? 0n);
  });

  it.each([1, 2, 7, 4096])('INSERT tuples: equal in any order and line layout, different when a value differs (chunks of %i)', (size) => {
    const a = stats(insert(["(1,'a),(b')", "(2,'it\\'s')", '(3,NULL)']), size);
    const b = stats(insert(['(3,NULL)', "(1,'a),(b')", "(2,'it\\'s')"], ',\n'), 4);
    const c = stats(insert(["(1,'a),(c')", "(2,'it\\'s')", '(3,NULL)']), size);
    expect(a.content.get('items')).toBe(b.content.get('items'));
    expect(a.content.get('items')).not.toBe(c.content.get('items'));
    expect(a.content.get('other')).toBe(c.content.get('other'));
    expect(Object.fromEntries(a.rows)).toEqual({ items: 3, other: 2 });
  });
});
