/**
 * @resdet/checkpoint — reading and writing weights: safetensors (read/write), torch `.pth` files
 * (zip and legacy formats, through a safe pickle reader that never executes code), resdet checkpoints
 * (safetensors + JSON sidecar, written atomically), torchvision key-name upgrades and load reports.
 * It produces host-side StateDicts (`@resdet/nn`); it owns no model and no tfjs tensors.
 */
export * from './checkpoint-error';
export * from './byte-source';
export * from './half';
export * from './dtypes';
export * from './atomic-write';
export * from './safetensors';
export * from './pickle-input';
export * from './pickle';
export * from './torch-tensor-ref';
export * from './torch-pickle';
export * from './zip-directory';
export * from './torch-zip';
export * from './torch-legacy';
export * from './find-state-dict';
export * from './read-state-dict';
export * from './torchvision-keys';
export * from './load-report';
export * from './weights-table';
export * from './resdet-checkpoint';
export * from './load-weights';
