import { Module } from './module';

/**
 * `torch.nn.ModuleList`: holds child modules under the names '0', '1', … (so state-dict keys read
 * `inner_blocks.0.0.weight`) and has no forward pass of its own.
 */
export class ModuleList<M extends Module> extends Module {
  readonly items: readonly M[];

  constructor(items: M[]) {
    super();
    this.items = items;
    items.forEach((m, i) => this.registerModule(String(i), m));
  }

  get length(): number {
    return this.items.length;
  }

  at(i: number): M {
    const m = this.items[i];
    if (!m) throw new Error(`ModuleList: index ${i} out of range (length ${this.items.length})`);
    return m;
  }
}
