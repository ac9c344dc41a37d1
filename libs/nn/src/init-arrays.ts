import { Rng } from '@resdet/random';

/**
 * torch.nn.init distributions as flat arrays drawn from a seeded {@link Rng}. Callers draw in torch's
 * layout order (OIHW for convs) so a seed gives the same tensor whatever the internal layout.
 */

/** torch's `kaiming_uniform_(w, a=√5)` (the default for Conv/Linear weights): U(−1/√fanIn, 1/√fanIn). */
export function kaimingUniformArray(n: number, fanIn: number, rng: Rng): Float32Array {
  // gain = √(2/(1+a²)) = √(1/3); bound = √3·gain/√fanIn = 1/√fanIn
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  return Float32Array.from({ length: n }, () => rng.range(-bound, bound));
}

/** torch's `kaiming_normal_(w, mode='fan_out', nonlinearity='relu')`: N(0, 2/fanOut). */
export function kaimingNormalFanOutArray(n: number, fanOut: number, rng: Rng): Float32Array {
  return rng.normalArray(n, 0, Math.sqrt(2 / fanOut));
}
