import * as os from 'os';
import * as path from 'path';

/** The environment variables the weights library reads; apps pass `process.env`, tests a plain object. */
export type WeightsEnv = Readonly<Record<string, string | undefined>>;

/**
 * resdet's cache root: `$RESDET_HOME`, else `$XDG_CACHE_HOME/resdet`, else `~/.cache/resdet`. A relative
 * XDG_CACHE_HOME is ignored, as the XDG base-directory spec says.
 */
export function resdetHome(env: WeightsEnv, homedir: string = os.homedir()): string {
  if (env.RESDET_HOME) return path.resolve(env.RESDET_HOME);
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, 'resdet');
  return path.join(homedir, '.cache', 'resdet');
}

/** Where downloaded weights live: `<resdetHome>/weights/<published file name>`. */
export function weightsCacheDir(env: WeightsEnv, homedir?: string): string {
  return path.join(resdetHome(env, homedir), 'weights');
}
