import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where web/headless mode keeps its data when --data-dir is not given (the desktop app uses Electron's userData). */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.OPENPANEL_DATA_DIR) return env.OPENPANEL_DATA_DIR;
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'OpenPanel');
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'OpenPanel');
  return join(env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'openpanel');
}
