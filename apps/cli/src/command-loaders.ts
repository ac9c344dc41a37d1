import type { Provider } from '@nestjs/common';

/**
 * How to load each top-level command: its file is imported only when that command runs, so `resdet eval --gt
 * --dt` never loads what `detect` or `train` import (tensor backends, sharp, onnxruntime). The order here is the
 * order of the commands in `--help`.
 */
export const COMMAND_LOADERS: Readonly<Record<string, () => Promise<Provider[]>>> = {
  doctor: async () => [(await import('./commands/doctor.command')).DoctorCommand],
  train: async () => [(await import('./commands/train.command')).TrainCommand],
  demo: async () => [(await import('./commands/demo.command')).DemoCommand],
  detect: async () => [(await import('./commands/detect.command')).DetectCommand],
  serve: async () => [(await import('./commands/serve.command')).ServeCommand],
  classify: async () => [(await import('./commands/classify.command')).ClassifyCommand],
  eval: async () => [(await import('./commands/eval.command')).EvalCommand],
  'export-onnx': async () => [(await import('./commands/export-onnx.command')).ExportOnnxCommand],
  worker: async () => [(await import('./commands/worker.command')).WorkerCommand],
  dataset: async () => (await import('./commands/dataset.command')).DatasetCommand.registerWithSubCommands(),
  jobs: async () => (await import('./commands/jobs.command')).JobsCommand.registerWithSubCommands(),
  weights: async () => (await import('./commands/weights.command')).WeightsCommand.registerWithSubCommands(),
};

/**
 * The providers for the command that argv names (its first word), or every command's when argv names none
 * that is known (so that commander can report an unknown command with its suggestions).
 */
export async function loadCommandProviders(argv: readonly string[]): Promise<Provider[]> {
  const name = argv.find((a) => !a.startsWith('-'));
  const loaders =
    name && Object.hasOwn(COMMAND_LOADERS, name) ? [COMMAND_LOADERS[name]] : Object.values(COMMAND_LOADERS);
  return (await Promise.all(loaders.map((load) => load()))).flat();
}
