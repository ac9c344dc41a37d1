import { createWriteStream, promises as fs, WriteStream } from 'node:fs';
import * as path from 'node:path';
import type { Detection } from './detection-types';
import { boxToXywh } from './coco-results';

/** One COCO result record as `detect --out` writes it (bbox = [x, y, w, h], original pixels). */
export interface CocoResultRecord {
  file_name: string;
  image_id?: number;
  category_id: number;
  label: string;
  bbox: [number, number, number, number];
  score: number;
}

/** One NDJSON line: one image, all its detections (an image with none still gets a line, for --resume). */
export interface NdjsonImageRecord {
  file_name: string;
  image_id?: number;
  width: number;
  height: number;
  detections: Omit<CocoResultRecord, 'file_name' | 'image_id'>[];
}

export type ResultsFormat = 'json' | 'ndjson';

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

/** Detection (xyxy) → COCO record fields (xywh), rounded to 1/100 px and 1e-5 score like common exporters. */
export function toCocoFields(d: Detection): Omit<CocoResultRecord, 'file_name' | 'image_id'> {
  const [x, y, w, h] = boxToXywh(d.box);
  return {
    category_id: d.categoryId,
    label: d.label,
    bbox: [round(x), round(y), round(w), round(h)],
    score: round(d.score, 5),
  };
}

/** One image's NDJSON record: the line `detect --format ndjson` writes (local and queued runs alike). */
export function toNdjsonRecord(
  image: { fileName: string; imageId?: number; width: number; height: number },
  dets: readonly Detection[],
): NdjsonImageRecord {
  return {
    file_name: image.fileName,
    ...(image.imageId !== undefined ? { image_id: image.imageId } : {}),
    width: image.width,
    height: image.height,
    detections: dets.map(toCocoFields),
  };
}

/**
 * Streams results to disk as they come, so memory stays flat however many images a job sees. `json` writes
 * one COCO results array (valid JSON once `close()` ran); `ndjson` writes one line per image and can be
 * appended to by a resumed run.
 */
export class ResultsWriter {
  private stream: WriteStream | undefined;
  private first = true;
  count = 0;

  private constructor(
    readonly file: string,
    readonly format: ResultsFormat,
  ) {}

  static async open(
    file: string,
    format: ResultsFormat,
    opts: { append?: boolean } = {},
  ): Promise<ResultsWriter> {
    await fs.mkdir(path.dirname(path.resolve(file)), { recursive: true });
    const w = new ResultsWriter(file, format);
    const append = format === 'ndjson' && opts.append;
    w.stream = createWriteStream(file, { flags: append ? 'a' : 'w' });
    await new Promise<void>((resolve, reject) =>
      w.stream!.once('open', () => resolve()).once('error', reject),
    );
    if (format === 'json') w.stream.write('[');
    return w;
  }

  async write(
    image: { fileName: string; imageId?: number; width: number; height: number },
    dets: readonly Detection[],
  ): Promise<void> {
    await this.writeRecord(toNdjsonRecord(image, dets));
  }

  /** Writes one image's record (as `write` builds it; a queued run receives them ready-made from workers). */
  async writeRecord(rec: NdjsonImageRecord): Promise<void> {
    const s = this.stream!;
    let text: string;
    if (this.format === 'ndjson') {
      text = JSON.stringify(rec) + '\n';
    } else {
      text = rec.detections
        .map((d) => {
          const coco: CocoResultRecord = {
            file_name: rec.file_name,
            ...(rec.image_id !== undefined ? { image_id: rec.image_id } : {}),
            ...d,
          };
          const line = (this.first ? '\n' : ',\n') + JSON.stringify(coco);
          this.first = false;
          return line;
        })
        .join('');
    }
    this.count += rec.detections.length;
    if (text && !s.write(text)) await new Promise<void>((r) => s.once('drain', () => r()));
  }

  async close(): Promise<void> {
    const s = this.stream;
    if (!s) return;
    this.stream = undefined;
    if (this.format === 'json') s.write(this.first ? ']\n' : '\n]\n');
    await new Promise<void>((resolve, reject) =>
      s.end((err?: Error | null) => (err ? reject(err) : resolve())),
    );
  }
}

/**
 * The images an NDJSON output already holds (for `--resume`). A last line cut short by a killed run is
 * dropped from the file, so the resumed run appends after the last complete image.
 */
export async function readCompletedImages(file: string): Promise<Set<string>> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new Set();
    throw e;
  }
  const done = new Set<string>();
  let goodLength = 0;
  let offset = 0;
  for (const line of text.split('\n')) {
    const end = offset + line.length + 1;
    if (line.trim()) {
      try {
        const rec = JSON.parse(line) as Partial<NdjsonImageRecord>;
        if (typeof rec.file_name !== 'string') throw new Error('no file_name');
        done.add(rec.file_name);
        if (end <= text.length) goodLength = end;
      } catch {
        break; // a partial line from a killed run: everything after it is rewritten
      }
    } else if (end <= text.length) {
      goodLength = end;
    }
    offset = end;
  }
  if (goodLength < Buffer.byteLength(text))
    await fs.truncate(file, Buffer.byteLength(text.slice(0, goodLength)));
  return done;
}
