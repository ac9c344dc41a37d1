/**
 * Python's `'{:0.Nf}'.format(x)` for finite doubles. JavaScript's `toFixed` picks the larger candidate when the
 * double lies exactly halfway between two N-digit decimals; Python rounds such exact ties to even
 * (`'{:0.3f}'.format(0.0625) == '0.062'`, `(0.0625).toFixed(3) == '0.063'`). Everything else agrees, because
 * both round the exact binary value.
 */
export function pyFixed(x: number, digits: number): string {
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : x < 0 ? '-inf' : 'nan';
  const scaled = Math.abs(x) * 2 ** (digits + 1);
  // an exact tie is j / 2^(digits+1) with j odd (then x * 10^digits = j * 5^digits / 2 ends in .5)
  if (Number.isSafeInteger(scaled) && scaled % 2 === 1) {
    const twice = BigInt(scaled) * 5n ** BigInt(digits); // = 2 * x * 10^digits, odd
    let n = (twice - 1n) / 2n;
    if (n % 2n === 1n) n += 1n;
    const s = n.toString().padStart(digits + 1, '0');
    const body = digits > 0 ? `${s.slice(0, s.length - digits)}.${s.slice(s.length - digits)}` : s;
    return (x < 0 ? '-' : '') + body;
  }
  return x.toFixed(digits);
}
