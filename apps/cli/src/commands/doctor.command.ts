import { Command, CommandRunner, Option } from 'nest-commander';
import * as tf from '@tensorflow/tfjs-core';
import { initRuntime } from '@resdet/runtime';

interface DoctorOptions {
  backend?: string;
}

/** Prints which tensor backend resdet picks on this machine. */
@Command({ name: 'doctor', description: 'Show the tensor backends available on this machine' })
export class DoctorCommand extends CommandRunner {
  async run(_args: string[], opts: DoctorOptions): Promise<void> {
    const backend = await initRuntime({
      backend: opts.backend ?? process.env.RESDET_BACKEND,
      log: (m) => process.stderr.write(m + '\n'),
    });
    process.stdout.write(`backend: ${backend}\ntfjs-core: ${tf.version_core}\n`);
  }

  @Option({ flags: '--backend <name>', description: 'force a backend (wasm, cpu, node, node-gpu, webgpu)' })
  parseBackend(v: string): string {
    return v;
  }
}
