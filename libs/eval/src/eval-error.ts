/**
 * The error every `@resdet/eval` function throws for bad input. Its message names the file (when known), the
 * field and the value, and says what would fix it, e.g.
 * `results dt.json: [12].bbox[2] (width) is -3, must be >= 0`.
 */
export class EvalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EvalError';
  }
}
