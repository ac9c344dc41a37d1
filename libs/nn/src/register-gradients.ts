import { registerGradients } from '@resdet/runtime';

/**
 * Makes `tf.grads` / `tf.variableGrads` work through every layer here: registers tfjs-core's gradient
 * set (shipped only as ES modules that Node's CommonJS cannot load), its chained tensor methods and
 * resdet's extra gradients. The work lives in `@resdet/runtime`'s `registerGradients` (see there for
 * why and how); @resdet/nn calls it once on import. Idempotent.
 */
export function registerAllGradients(): void {
  registerGradients();
}
