import * as fs from 'fs';
import * as path from 'path';
import { packageRoot } from '@resdet/weights';

export { packageRoot };

export function packageVersion(): string {
  return JSON.parse(fs.readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')).version;
}
