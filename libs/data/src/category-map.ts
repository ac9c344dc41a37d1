import type { Category } from './detection-record';

/**
 * Maps a dataset's original category ids (COCO's 1..90 with gaps, or any ids) to the contiguous labels
 * `1..K` the model uses, and back. Order is by ascending original id, as torchvision's COCO reference does,
 * so label `k` is the k-th smallest id. Names are kept.
 *
 * @example
 * const map = new CategoryMap([{ id: 90, name: 'toothbrush' }, { id: 1, name: 'person' }]);
 * map.labelOf(90); // 2
 * map.idOf(1);     // 1 (person)
 */
export class CategoryMap {
  readonly categories: readonly Category[];
  private readonly byId = new Map<number, Category>();

  constructor(source: readonly { id: number; name: string }[]) {
    const sorted = [...source].sort((a, b) => a.id - b.id);
    this.categories = Object.freeze(
      sorted.map((c, i) => Object.freeze({ label: i + 1, id: c.id, name: c.name })),
    );
    for (const c of this.categories) this.byId.set(c.id, c);
  }

  /** Number of classes K (background not counted). */
  get size(): number {
    return this.categories.length;
  }

  has(id: number): boolean {
    return this.byId.has(id);
  }

  /** Contiguous label of an original id; throws a RangeError for an unknown id. */
  labelOf(id: number): number {
    const c = this.byId.get(id);
    if (!c) throw new RangeError(`unknown category id ${id}`);
    return c.label;
  }

  /** Original id of a contiguous label `1..K`. */
  idOf(label: number): number {
    const c = this.categories[label - 1];
    if (!c) throw new RangeError(`label ${label} is outside 1..${this.size}`);
    return c.id;
  }

  /** Name of a contiguous label `1..K`. */
  nameOf(label: number): string {
    const c = this.categories[label - 1];
    if (!c) throw new RangeError(`label ${label} is outside 1..${this.size}`);
    return c.name;
  }
}
