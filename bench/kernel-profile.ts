/**
 * Per-kernel wall and CPU time for benches on synchronous backends (wasm, cpu): every kernel registered for the backend
 * is re-registered wrapped in a timer. Kernels that call other registered kernels (resdet's wasm kernels do,
 * through `runWasmKernel`) are charged their own time only ("self"), so the rows add up to the time spent in
 * kernels, and the rest of a step is JS outside kernels (engine bookkeeping, tape, host-side code).
 * A kernel called by another is named by its chain (`Conv2DBackpropFilter>BatchMatMul`). Forward and backward
 * are told apart by a phase the caller sets (gradient functions run kernels too). `withShapes` adds the input
 * shapes to the row's name.
 * Bench-only: it changes the registry for the whole process; `uninstall()` puts the originals back.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface KernelRow {
  kernel: string;
  phase: string;
  calls: number;
  /** Self time: the kernel's wall time minus the registered kernels it called. */
  ms: number;
  /** Self CPU time of the process (the figure to read on a shared machine, where wall time includes waits). */
  cpuMs: number;
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

export class KernelProfile {
  /** Set by the caller: rows are keyed by (kernel, phase). */
  phase = 'other';
  private readonly rows = new Map<string, KernelRow>();
  private readonly originals: tf.KernelConfig[] = [];
  /** Time spent in child kernels of each open call, and its name (innermost last). */
  private readonly childMs: number[] = [];
  private readonly childCpuMs: number[] = [];
  private readonly names: string[] = [];
  private on = false;

  constructor(
    readonly backend: string,
    readonly withShapes = false,
  ) {}

  install(): void {
    for (const config of tf.getKernelsForBackend(this.backend)) {
      const original = config.kernelFunc;
      const timed: tf.KernelFunc = (args) => {
        if (!this.on) return original(args);
        let name = config.kernelName;
        if (this.withShapes) {
          const shapes = Object.values(args.inputs).map((t) => `[${t ? t.shape.join(',') : ''}]`);
          name += ` ${shapes.join(' ')}`;
        }
        this.names.push(this.names.length ? `${this.names[this.names.length - 1]}>${name}` : name);
        this.childMs.push(0);
        this.childCpuMs.push(0);
        const t0 = performance.now();
        const c0 = cpuMs();
        try {
          return original(args);
        } finally {
          const total = performance.now() - t0;
          const totalCpu = cpuMs() - c0;
          const children = this.childMs.pop()!;
          const childrenCpu = this.childCpuMs.pop()!;
          if (this.childMs.length) {
            this.childMs[this.childMs.length - 1] += total;
            this.childCpuMs[this.childCpuMs.length - 1] += totalCpu;
          }
          this.add(this.names.pop()!, total - children, totalCpu - childrenCpu);
        }
      };
      this.originals.push(config);
      tf.unregisterKernel(config.kernelName, this.backend);
      tf.registerKernel({ ...config, kernelFunc: timed });
    }
  }

  uninstall(): void {
    for (const config of this.originals) {
      tf.unregisterKernel(config.kernelName, this.backend);
      tf.registerKernel(config);
    }
    this.originals.length = 0;
  }

  /** Counts only between start() and stop() (warm-up steps are left out). */
  start(): void {
    this.on = true;
  }

  stop(): void {
    this.on = false;
  }

  private add(kernel: string, ms: number, cpu: number): void {
    const key = `${kernel}\u0000${this.phase}`;
    const row = this.rows.get(key) ?? { kernel, phase: this.phase, calls: 0, ms: 0, cpuMs: 0 };
    row.calls++;
    row.ms += ms;
    row.cpuMs += cpu;
    this.rows.set(key, row);
  }

  /** Rows by CPU time, largest first. */
  table(): KernelRow[] {
    return [...this.rows.values()].sort((a, b) => b.cpuMs - a.cpuMs);
  }

  totals(): { ms: number; cpuMs: number } {
    let ms = 0;
    let cpuMs = 0;
    for (const r of this.rows.values()) {
      ms += r.ms;
      cpuMs += r.cpuMs;
    }
    return { ms, cpuMs };
  }
}
