import * as fs from 'fs';
import * as path from 'path';

/**
 * The folder of resdet's package.json, found by walking up from `from`: the same answer whether the code runs
 * from the sources (jest) or from dist/, whose files sit one level deeper.
 */
export function packageRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file) && JSON.parse(fs.readFileSync(file, 'utf8')).name === 'resdet') return dir;
    if (path.dirname(dir) === dir) throw new Error(`no resdet package.json above ${from}`);
  }
}
