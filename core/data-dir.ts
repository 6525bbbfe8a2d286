// Where Foley writes everything: converted models, the database, thumbnails. One folder, chosen as
// --data-dir > FOLEY_DATA_DIR > the folder Electron's app.getPath('userData') gives an app named
// "Foley", so the CLI and the desktop app share one library by default.
import os from 'node:os';
import path from 'node:path';

export function defaultDataDir(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): string {
  const home = os.homedir();
  if (platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'Foley');
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'Foley');
  const xdg = env.XDG_CONFIG_HOME;
  return path.join(xdg !== undefined && xdg !== '' ? xdg : path.join(home, '.config'), 'Foley');
}

export function resolveDataDir(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (flag !== undefined && flag !== '') return path.resolve(flag);
  const fromEnv = env.FOLEY_DATA_DIR;
  if (fromEnv !== undefined && fromEnv !== '') return path.resolve(fromEnv);
  return defaultDataDir(process.platform, env);
}
