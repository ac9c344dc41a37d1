/**
 * One worked example per command, appended to its `--help` (kept here rather than in each command so the
 * commands stay about what they do). Keys are command paths; a path with no command is ignored.
 */
export const HELP_EXAMPLES: Record<string, string> = {
  '': 'resdet detect --weights runs/demo/model.safetensors photos/ --out results.json',
  detect:
    'resdet detect --weights runs/demo/model.safetensors photos/ --out results.json --save-images drawn/',
  train: 'resdet train --config configs/shapes_demo.json --dataset data/shapes --out runs/shapes',
  demo: 'resdet demo --out runs/demo',
  serve:
    'resdet serve --weights runs/demo/model.safetensors --port 3000   # then open http://localhost:3000/',
  eval: 'resdet eval --gt annotations/instances_val.json --dt results.json --json metrics.json',
  classify: 'resdet classify --arch resnet50 --weights resnet50-0676ba61.pth --json cat.jpg',
  'export-onnx': 'resdet export-onnx --weights runs/demo/model.safetensors --out model.onnx',
  doctor: 'resdet doctor',
  dataset: 'resdet dataset shapes --out data/shapes --count 500',
  'dataset shapes': 'resdet dataset shapes --out data/shapes --format voc --count 500 --val-count 100',
  'dataset check': 'resdet dataset check data/shapes',
  worker: 'resdet worker --queue redis://10.0.0.5:6379   # one process per core; see docs/scale-out.md',
  jobs: 'resdet jobs results 3f9c0a1b2c4d --queue redis://10.0.0.5:6379 --out results.ndjson',
  'jobs status': 'resdet jobs status 3f9c0a1b2c4d --queue redis://10.0.0.5:6379',
  'jobs results': 'resdet jobs results 3f9c0a1b2c4d --queue redis://10.0.0.5:6379 --format json --out r.json',
  'jobs cancel': 'resdet jobs cancel 3f9c0a1b2c4d --queue redis://10.0.0.5:6379',
  weights: 'resdet weights list',
  'weights list': 'resdet weights list --json',
  'weights pull':
    'resdet weights pull fasterrcnn_resnet50_fpn   # then: resdet detect --weights fasterrcnn_resnet50_fpn photos/',
};

/** Said once on the root help: flags that every command takes (parsed before Nest starts). */
export const GLOBAL_HELP = `Global options (any command):
  --log-format <pretty|json>  log lines on stderr: readable (default) or pino JSON lines

Shell completion:
  resdet completion bash >> ~/.bashrc    (or: resdet completion zsh >> ~/.zshrc)
`;
