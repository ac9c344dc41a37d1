/** One point of the loss curve: means over a window of iterations. */
export interface LossPoint {
  /** Completed iterations at the end of the window (1-based count). */
  iteration: number;
  /** Learning rate of the window's last iteration. */
  lr: number;
  /** Mean of each loss term, and `loss` (their sum), over the window. */
  losses: Record<string, number>;
}

/** Serialised {@link LossHistory} (part of a training checkpoint's JSON). */
export interface LossHistoryState {
  every: number;
  points: LossPoint[];
  /** The unfinished window, so a resumed run's curve matches an uninterrupted one. */
  pending: { count: number; sums: Record<string, number> };
}

/**
 * Loss curve data kept by the trainer: one {@link LossPoint} per `every` iterations (means over the
 * window), so 100k iterations stay a few thousand points. Survives checkpoint/resume via
 * `toJSON`/`fromJSON`.
 *
 * @example
 * const h = new LossHistory(2);
 * h.add(1, 0.01, { loss: 3 }); h.add(2, 0.01, { loss: 1 });
 * h.points; // [{ iteration: 2, lr: 0.01, losses: { loss: 2 } }]
 */
export class LossHistory {
  readonly points: LossPoint[] = [];
  private count = 0;
  private sums: Record<string, number> = {};

  constructor(readonly every = 10) {
    if (!Number.isInteger(every) || every < 1)
      throw new Error(`LossHistory: every must be an integer ≥ 1, got ${every}`);
  }

  /** Records iteration `iteration` (1-based count of completed iterations). */
  add(iteration: number, lr: number, losses: Record<string, number>): void {
    for (const [k, v] of Object.entries(losses)) this.sums[k] = (this.sums[k] ?? 0) + v;
    this.count++;
    if (this.count === this.every) this.flush(iteration, lr);
  }

  private flush(iteration: number, lr: number): void {
    const losses: Record<string, number> = {};
    for (const [k, v] of Object.entries(this.sums)) losses[k] = v / this.count;
    this.points.push({ iteration, lr, losses });
    this.count = 0;
    this.sums = {};
  }

  toJSON(): LossHistoryState {
    return {
      every: this.every,
      points: this.points.map((p) => ({ ...p, losses: { ...p.losses } })),
      pending: { count: this.count, sums: { ...this.sums } },
    };
  }

  static fromJSON(s: LossHistoryState): LossHistory {
    const h = new LossHistory(s.every);
    h.points.push(...s.points);
    h.count = s.pending.count;
    h.sums = { ...s.pending.sums };
    return h;
  }
}
