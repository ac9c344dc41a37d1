import { Command, CommandRunner, Option } from 'nest-commander';
import { diagnoseBackends, initRuntime, requestedBackend } from '@resdet/runtime';

interface DoctorOptions {
  backend?: string;
}

/** Prints every tensor backend's availability, what to install for the missing ones, and resdet's choice. */
@Command({
  name: 'doctor',
  description: 'Show the tensor backends available on this machine and which one resdet uses',
})
export class DoctorCommand extends CommandRunner {
  async run(_args: string[], opts: DoctorOptions): Promise<void> {
    const reports = await diagnoseBackends(process.env);
    for (const r of reports) {
      process.stdout.write(`${r.available ? 'yes' : 'no '}  ${r.name.padEnd(15)} ${r.detail}\n`);
      if (r.fix) process.stdout.write(`     ${''.padEnd(15)} fix: ${r.fix}\n`);
    }
    const runtime = { backend: opts.backend, env: process.env };
    const chosen = await initRuntime({ ...runtime, log: (m) => process.stderr.write(m + '\n') });
    process.stdout.write(`chosen: ${chosen}${requestedBackend(runtime) ? ' (forced)' : ''}\n`);
  }

  @Option({ flags: '--backend <name>', description: 'force a backend (wasm, cpu, node, node-gpu, webgpu)' })
  parseBackend(v: string): string {
    return v;
  }
}
