import { existsSync } from 'node:fs';
import * as path from 'node:path';

/** The compiled entry of a detector worker thread, beside this file in dist/ (absent when run from sources). */
export const DETECTOR_WORKER_SCRIPT = path.join(__dirname, 'detector-worker.js');

/** Whether detector worker threads can start here (the build is present), so callers can choose in-thread. */
export function detectorWorkersBuilt(): boolean {
  return existsSync(DETECTOR_WORKER_SCRIPT);
}
