/** A training setting is invalid (names the field and value). */
export class TrainingConfigError extends Error {
  override name = 'TrainingConfigError';
}

/**
 * The loss became NaN or ±Inf: training stops before the optimizer step, so parameters are those
 * after the last finite step, and no checkpoint is written (the last good one stays as it was).
 */
export class TrainingDivergedError extends Error {
  override name = 'TrainingDivergedError';
  constructor(
    /** 0-based iteration whose loss was not finite. */
    readonly iteration: number,
    /** Every loss term at that iteration (and `loss`, their sum). */
    readonly losses: Record<string, number>,
    /** Iteration of the last checkpoint written, if any. */
    readonly lastCheckpoint?: string,
  ) {
    const terms = Object.entries(losses)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ');
    super(
      `loss is not finite at iteration ${iteration} (${terms}); training stopped before the optimizer step. ` +
        (lastCheckpoint
          ? `Last good checkpoint: ${lastCheckpoint} (left untouched). `
          : 'No checkpoint was written yet. ') +
        'Try a lower learning rate, longer warm-up or gradient clipping.',
    );
  }
}
