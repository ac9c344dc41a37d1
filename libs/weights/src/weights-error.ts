/** A weights name, file, download or cache problem; the message says what would fix it. */
export class WeightsError extends Error {
  override readonly name = 'WeightsError';
}
