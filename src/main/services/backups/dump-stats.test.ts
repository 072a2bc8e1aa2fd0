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
