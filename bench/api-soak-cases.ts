/**
 * The API soak's request mix and runner, shared by `bench/api-soak.ts` (1,000 requests) and the test suite
 * (`test/api/api-soak.e2e-spec.ts`, ~100 on loopback). Valid uploads are every decodable format at odd sizes
 * (thin strips, 1×1); hostile ones are truncated, zero-byte, decompression bombs, SVG with external entities,
 * PDF, oversized random bytes and lying content types; hostile query strings ride on valid images.
 */
import sharp from 'sharp';

export type Expect = 'ok' | '4xx' | '415';

export interface SoakCase {
  name: string;
  body: Buffer;
  contentType: string;
  query: string;
  expect: Expect;
}

export interface SoakResult {
  statuses: Record<string, number>;
  p50: number;
  p99: number;
  /** Each a case name and what went wrong (5xx, dropped connection, 2xx for a hostile upload, …). */
  failures: string[];
}

async function encode(
  w: number,
  h: number,
  format: 'png' | 'jpeg' | 'webp' | 'tiff' | 'gif',
): Promise<Buffer> {
  const data = Buffer.alloc(w * h * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
  return sharp(data, { raw: { width: w, height: h, channels: 3 } })
    .toFormat(format)
    .toBuffer();
}

/** A PNG whose header claims 100000×100000 pixels (caught before decoding). */
function claimsHuge(png: Buffer): Buffer {
  const b = Buffer.from(png);
  b.writeUInt32BE(100000, 16);
  b.writeUInt32BE(100000, 20);
  return b;
}

const SVG_XXE = `<?xml version="1.0"?>
<!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd"><!ENTITY ext SYSTEM "http://169.254.169.254/">]>
<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><text>&xxe;&ext;</text></svg>`;

/**
 * Builds the case list once (images are encoded here, not per request). `bigBytes` sets the size of the
 * oversized random upload (25 MB in the bench; the test passes less to stay fast).
 */
export async function buildSoakCases(opts: { bigBytes: number; bombSide: number }): Promise<SoakCase[]> {
  const sizes: [number, number][] = [
    [3000, 2],
    [1, 1],
    [4000, 1],
    [40, 500],
    [1, 33],
    [64, 48],
  ];
  const formats = ['png', 'jpeg', 'webp', 'tiff', 'gif'] as const;
  const cases: SoakCase[] = [];
  for (const f of formats) {
    for (const [w, h] of sizes) {
      cases.push({
        name: `${f} ${w}x${h}`,
        body: await encode(w, h, f),
        contentType: `image/${f}`,
        query: '',
        expect: 'ok',
      });
    }
  }
  const png = await encode(64, 48, 'png');
  const jpeg = await encode(64, 48, 'jpeg');
  // a real bomb: one colour, tiny when compressed, bombSide² pixels when decoded (over the pixel limit)
  const bomb = await sharp({
    create: { width: opts.bombSide, height: opts.bombSide, channels: 3, background: '#000' },
  })
    .png({ compressionLevel: 9 })
    .toBuffer();
  let seed = 7;
  const big = Buffer.alloc(opts.bigBytes);
  for (let i = 0; i < big.length; i++) big[i] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
  const hostile: Omit<SoakCase, 'query'>[] = [
    {
      name: 'truncated png',
      body: png.subarray(0, png.length >> 1),
      contentType: 'image/png',
      expect: '4xx',
    },
    { name: 'truncated jpeg', body: jpeg.subarray(0, 300), contentType: 'image/jpeg', expect: '4xx' },
    { name: 'zero-byte', body: Buffer.alloc(0), contentType: 'image/png', expect: '4xx' },
    { name: 'header bomb', body: claimsHuge(png), contentType: 'image/png', expect: '4xx' },
    { name: 'pixel bomb', body: bomb, contentType: 'image/png', expect: '4xx' },
    { name: 'svg xxe', body: Buffer.from(SVG_XXE), contentType: 'image/svg+xml', expect: '415' },
    { name: 'svg as png', body: Buffer.from(SVG_XXE), contentType: 'image/png', expect: '415' },
    {
      name: 'pdf',
      body: Buffer.from('%PDF-1.7\n1 0 obj<<>>endobj\n%%EOF\n'),
      contentType: 'application/pdf',
      expect: '415',
    },
    { name: 'random big', body: big, contentType: 'image/jpeg', expect: '4xx' },
    { name: 'text as jpeg', body: Buffer.from('GIF? no, hello\n'), contentType: 'image/jpeg', expect: '415' },
  ];
  for (const h of hostile) cases.push({ ...h, query: '' });
  const queries = [
    'scoreThreshold=abc',
    'scoreThreshold=2',
    'maxDetections=-1',
    'maxDetections=1e309',
    '__proto__[polluted]=1',
    'constructor[prototype][x]=1',
    `scoreThreshold=${'9'.repeat(5000)}`,
    'scoreThreshold=0.5&scoreThreshold=0.6',
    'maxDetections=%00',
  ];
  for (const q of queries)
    cases.push({
      name: `query ${q.slice(0, 30)}`,
      body: png,
      contentType: 'image/png',
      query: q,
      expect: '4xx',
    });
  return cases;
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : 0;
}

/**
 * Sends `requests` uploads drawn round-robin from `cases` with `concurrency` in flight and checks each answer;
 * `onAnswered(n)` is called after each answer (n answered so far), e.g. to sample memory.
 */
export async function runSoak(
  baseUrl: string,
  cases: readonly SoakCase[],
  requests: number,
  concurrency: number,
  onAnswered?: (answered: number) => void,
): Promise<SoakResult> {
  const statuses: Record<string, number> = {};
  const failures: string[] = [];
  const times: number[] = [];
  let next = 0;
  let answered = 0;
  const one = async (c: SoakCase) => {
    const form = new FormData();
    form.append('image', new Blob([c.body], { type: c.contentType }), 'upload.bin');
    const t0 = performance.now();
    let status: number;
    let retryAfter: string | null = null;
    try {
      const res = await fetch(`${baseUrl}/v1/detect${c.query ? `?${c.query}` : ''}`, {
        method: 'POST',
        body: form,
      });
      status = res.status;
      retryAfter = res.headers.get('retry-after');
      await res.arrayBuffer();
    } catch (e) {
      const cause = (e as { cause?: Error }).cause;
      failures.push(
        `${c.name}: connection failed (${(e as Error).message}${cause ? `: ${cause.message}` : ''})`,
      );
      statuses.dropped = (statuses.dropped ?? 0) + 1;
      return;
    }
    times.push(performance.now() - t0);
    statuses[status] = (statuses[status] ?? 0) + 1;
    if (status === 503 && retryAfter) return;
    if (status >= 500) failures.push(`${c.name}: ${status}`);
    else if (c.expect === 'ok' && status !== 200) failures.push(`${c.name}: ${status}, expected 200`);
    else if (c.expect === '4xx' && !(status >= 400 && status < 500))
      failures.push(`${c.name}: ${status}, expected 4xx`);
    else if (c.expect === '415' && status !== 415) failures.push(`${c.name}: ${status}, expected 415`);
  };
  const worker = async () => {
    while (next < requests) {
      await one(cases[next++ % cases.length]);
      onAnswered?.(++answered);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  times.sort((a, b) => a - b);
  return { statuses, p50: percentile(times, 0.5), p99: percentile(times, 0.99), failures };
}
