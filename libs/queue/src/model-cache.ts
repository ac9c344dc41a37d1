import type { ImageDetector, ModelSource } from '@resdet/inference';
import type { ModelRef } from './detect-task';
import { modelCacheKey, verifyModelFiles } from './model-ref';

/**
 * Loaded models of a worker, keyed by flags and file contents, least recently used dropped (and
 * disposed) beyond `capacity`. A model is loaded once however many tasks use it; a load that fails is
 * forgotten so the next task tries again.
 */
export class ModelCache {
  private readonly entries = new Map<string, Promise<ImageDetector>>();
  loads = 0;

  constructor(
    private readonly load: (source: ModelSource) => Promise<ImageDetector>,
    private readonly capacity = 2,
  ) {}

  get(ref: ModelRef): Promise<ImageDetector> {
    const key = modelCacheKey(ref);
    let entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key); // re-insert: Map order is recency order
    } else {
      this.loads++;
      entry = verifyModelFiles(ref).then(() => this.load(ref.source));
      entry.catch(() => this.entries.delete(key));
    }
    this.entries.set(key, entry);
    while (this.entries.size > this.capacity) {
      const [oldKey, old] = this.entries.entries().next().value as [string, Promise<ImageDetector>];
      this.entries.delete(oldKey);
      void old.then((d) => d.dispose()).catch(() => undefined);
    }
    return entry;
  }

  async dispose(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(all.map((p) => p.then((d) => d.dispose()).catch(() => undefined)));
  }
}
