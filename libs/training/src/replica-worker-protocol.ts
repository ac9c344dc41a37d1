import type { StateDict } from '@resdet/nn';
import type { FasterRcnnConfig } from '@resdet/detection';
import type { ShardResult, ShardTask } from './shard-replica';

/** What a replica worker starts from (`workerData`). */
export interface ReplicaInit {
  index: number;
  /** The main thread's tensor backend, so every replica computes with the same kernels. */
  backend: string;
  modelConfig: FasterRcnnConfig;
  /** Every parameter and buffer of the main model when the workers start (after init, `--from`, resume). */
  state: StateDict;
  freezeRpn: boolean;
  lossWeights: Record<string, number>;
  /** The main model's trainable parameter names: the replica's must be the same, in the same order. */
  trainableNames: string[];
  /** Trainable parameters, written by the main thread before each step's shards are sent. */
  params: SharedArrayBuffer;
  /** One gradient slot of `layout.size` floats per shard of a batch. */
  grads: SharedArrayBuffer;
}

export type ReplicaRequest = { type: 'shard'; step: number; slot: number; task: ShardTask };

export type ReplicaReply =
  | { type: 'ready' }
  | { type: 'init-error'; message: string }
  | { type: 'result'; slot: number; result: ShardResult }
  | { type: 'error'; slot: number; message: string };
