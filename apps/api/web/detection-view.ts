/**
 * What the page shows, as plain functions of the API's response (no DOM here, so jest tests them): which
 * detections pass the threshold and class toggles, each class's colour, readable API errors.
 */

/** `POST /v1/detect` → 200 body; boxes are xyxy in the image's original pixels. */
export interface DetectResult {
  width: number;
  height: number;
  detections: Detection[];
  model: string;
  timingMs: number;
}

export interface Detection {
  label: string;
  categoryId: number;
  score: number;
  box: { x1: number; y1: number; x2: number; y2: number };
}

/** Detections scoring above `threshold` (0–1; at 1 nothing is shown) whose class is not hidden, best first. */
export function visibleDetections(
  result: DetectResult,
  threshold: number,
  hidden: ReadonlySet<string>,
): Detection[] {
  return result.detections
    .filter((d) => d.score > threshold && !hidden.has(d.label))
    .sort((a, b) => b.score - a.score);
}

/** Classes present in a result with their counts, in first-seen order (for the toggles). */
export function classCounts(result: DetectResult): Map<string, number> {
  const counts = new Map<string, number>();
  for (const d of result.detections) counts.set(d.label, (counts.get(d.label) ?? 0) + 1);
  return counts;
}

/**
 * A colour per class name that stays the same across images, reloads and machines: FNV-1a of the name picks
 * the hue; saturation and lightness are fixed so text on it stays readable.
 */
export function classColour(label: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return `hsl(${h % 360}, 85%, 45%)`;
}

/**
 * One readable line for a failed request from the status, the JSON body Nest sends (`{statusCode, message,
 * error}`, message possibly a list) and Retry-After.
 */
export function describeApiError(status: number, body: unknown, retryAfter: string | null): string {
  const b = (body ?? {}) as { message?: unknown; error?: unknown };
  const message = Array.isArray(b.message)
    ? b.message.join('; ')
    : typeof b.message === 'string'
      ? b.message
      : '';
  const reason = typeof b.error === 'string' ? b.error : (HTTP_REASONS[status] ?? 'Error');
  const retry = status === 503 && retryAfter ? ` — try again in ${retryAfter} s` : '';
  return `${status} ${reason}${message && message !== reason ? `: ${message}` : ''}${retry}`;
}

const HTTP_REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  503: 'Service Unavailable',
};
