import { describeApiError, type DetectResult } from './detection-view.js';

/** A failed request, with a message ready to show. */
export class ApiError extends Error {}

/**
 * Sends one image to `POST /v1/detect` (multipart field `image`), with `x-api-key` when a key is given.
 * Resolves to the result, or rejects with an ApiError naming the status and the server's message.
 */
export async function detectImage(file: Blob, apiKey: string): Promise<DetectResult> {
  const form = new FormData();
  form.append('image', file, file instanceof File ? file.name : 'pasted-image');
  const headers: Record<string, string> = {};
  if (apiKey) headers['x-api-key'] = apiKey;
  let res: Response;
  try {
    res = await fetch('v1/detect', { method: 'POST', body: form, headers });
  } catch (e) {
    throw new ApiError(`could not reach the server (${(e as Error).message})`);
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = { message: text.slice(0, 200) };
  }
  if (!res.ok) throw new ApiError(describeApiError(res.status, body, res.headers.get('retry-after')));
  return body as DetectResult;
}
