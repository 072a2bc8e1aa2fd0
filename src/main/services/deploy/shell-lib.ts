import SHELL_LIB from './shell-lib.sh?raw';

export { SHELL_LIB };

/** A whole line `# @include <file>`: the script wants that sibling file's text there. */
const INCLUDE = /^[ \t]*# @include ([\w.-]+)[ \t]*$/gm;

/**
 * A script as it is sent: each `# @include <file>` line replaced by the text of that file (`parts`, imported as
 * text). Still one constant script, values in OP_* variables only. A part that is not given throws, at import.
 */
export function assemble(script: string, parts: Record<string, string>): string {
  return script.replace(INCLUDE, (_line, name: string) => {
    const part = parts[name];
    if (part === undefined) throw new Error(`${name}: included by a script but not given to assemble()`);
    return part.replace(/\n$/, '');
  });
}

/** The parts every deploy-side script may include. */
export const LIB_PARTS: Readonly<Record<string, string>> = { 'shell-lib.sh': SHELL_LIB };
