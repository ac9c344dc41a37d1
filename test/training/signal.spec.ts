/**
 * SIGTERM during training (real child processes): the child finishes its step, writes a checkpoint and
 * exits 0; a second child resumes from the folder and finishes; the final weights equal an
 * uninterrupted run's bit for bit.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readSafetensors } from '@resdet/checkpoint';
import { DirectoryCheckpointStore } from '@resdet/training';
import { CHILD_ITERATIONS, toyRun } from './train-toy-child';

const ROOT = path.join(__dirname, '..', '..');

function child(
  args: string[],
  onLine: (line: string, kill: () => void) => void,
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(
      process.execPath,
      ['-r', './tools/register.js', 'test/training/train-toy-child.ts', ...args],
      { cwd: ROOT },
    );
    let out = '';
    let err = '';
    let pending = '';
    p.stdout.on('data', (d: Buffer) => {
      out += d;
      pending += d;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const l of lines) onLine(l, () => p.kill('SIGTERM'));
    });
    p.stderr.on('data', (d: Buffer) => (err += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, out, err }));
  });
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('train process stopped by SIGTERM', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'resdet-signal-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('checkpoints, exits 0, and --resume finishes identically to an uninterrupted run', async () => {
    let killed = false;
    const first = await child([dir], (line, kill) => {
      if (!killed && line === 'iteration 5') {
        killed = true;
        kill();
      }
    });
    expect({ code: first.code, err: first.err }).toEqual({ code: 0, err: expect.any(String) });
    const stoppedAt = Number(/done aborted (\d+)/.exec(first.out)?.[1]);
    expect(stoppedAt).toBeGreaterThanOrEqual(5);
    expect(stoppedAt).toBeLessThan(CHILD_ITERATIONS);
    const store = new DirectoryCheckpointStore({ dir });
    expect(store.readIndex().kept).toEqual([`iter-${String(stoppedAt).padStart(8, '0')}`]);

    const second = await child([dir, '--resume'], () => undefined);
    expect(second.code).toBe(0);
    expect(second.out.split('\n')[0]).toBe(`iteration ${stoppedAt + 1}`);
    expect(second.out).toContain(`done completed ${CHILD_ITERATIONS}`);

    const refDir = fs.mkdtempSync(path.join(os.tmpdir(), 'resdet-signal-ref-'));
    const straight = toyRun(refDir);
    await straight.trainer.run();
    const resumed = readSafetensors(
      path.join(dir, `iter-${String(CHILD_ITERATIONS).padStart(8, '0')}.safetensors`),
    ).tensors;
    const want = straight.net.stateDict();
    expect([...resumed.keys()]).toEqual([...want.keys()]);
    for (const [k, t] of want)
      expect({ k, v: Array.from(resumed.get(k)!.data, Number) }).toEqual({
        k,
        v: Array.from(t.data, Number),
      });
    straight.net.dispose();
    fs.rmSync(refDir, { recursive: true, force: true });
  });
});
