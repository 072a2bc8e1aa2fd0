import { describe, expect, it } from 'vitest';
import { toArgv } from './commands.ts';
import { lineDiff } from './diff.ts';

describe('toArgv', () => {
  it.each([
    ['docker ps -a', ['docker', 'ps', '-a']],
    ['$ docker logs --tail 50 web', ['docker', 'logs', '--tail', '50', 'web']],
    [`docker run -e 'A=b c' "x y" z\\ w`, ['docker', 'run', '-e', 'A=b c', 'x y', 'z w']],
    ['echo ""', ['echo', '']],
  ])('%s', (cmd, argv) => expect(toArgv(cmd)).toEqual(argv));

  it.each(['docker ps | grep x', 'a && b', 'echo $HOME', 'cat > f', 'echo "$(id)"', 'ls *', 'one\ntwo', "echo 'open", ''])('needs a shell: %j', (cmd) => {
    expect(toArgv(cmd)).toBeNull();
  });
});

describe('lineDiff', () => {
  it('marks removed, added and kept lines', () => {
    expect(lineDiff('FROM a\nRUN x\nCMD y\n', 'FROM b\nRUN x\nCMD y\nUSER n\n')).toEqual([
      { kind: 'del', text: 'FROM a' },
      { kind: 'add', text: 'FROM b' },
      { kind: 'same', text: 'RUN x' },
      { kind: 'same', text: 'CMD y' },
      { kind: 'add', text: 'USER n' },
    ]);
    expect(lineDiff('', 'A\n')).toEqual([{ kind: 'add', text: 'A' }]);
  });
});
