/**
 * `detect --arch fasterrcnn_resnet50_fpn --weights <torchvision .pth>` vs torchvision, full size (the
 * small fixtures prove the maths; this proves it holds at real widths and depths).
 *
 *   /usr/bin/python3 tools/detection/r50_fpn_parity.py --out /tmp/r50-fpn-parity     # weights + torchvision's answers
 *   node -r ./tools/register.js tools/detection/check-r50-fpn-parity.ts [--dir /tmp/r50-fpn-parity]
 *        [--engines tfjs,ort] [--only k91-zip,k7-fp16] [--no-control]
 *
 * The same for `fasterrcnn_resnet50_fpn_v2` (the manifest names the arch; it has no eps control rows):
 *
 *   /usr/bin/python3 tools/detection/r50_fpn_v2_parity.py --out /tmp/r50-fpn-v2-parity
 *   node -r ./tools/register.js tools/detection/check-r50-fpn-parity.ts --dir /tmp/r50-fpn-v2-parity
 *
 * For every weights file in the folder's `manifest.json` and every engine, runs the CLI as a user does (a child
 * process: `detect --arch fasterrcnn_resnet50_fpn --weights W --engine E --out results.json --workers 1 IMAGES…`)
 * and compares its COCO results with torchvision's detections for the same file: a resdet detection matches a
 * torchvision one when it has the same class, IoU ≥ 0.99 and |Δscore| ≤ 1e-3 (greedy, torchvision's detections in
 * score order).
 * A row passes when ≥ 99 % of the detections on either side are matched. Also printed: max |Δbox| (px, over
 * matched pairs), max |Δscore|, and the detect job's seconds per image (model loading excluded).
 * The control row runs the 91-class weights under a file name resdet's weights table does not know (so FrozenBN
 * keeps eps 1e-5 instead of torchvision's COCO eps 0): it is expected to differ, which shows the eps quirk matters
 * for these weights and is applied by name. Exit code 1 when a parity row fails (or the control does not differ).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const REPO_ROOT = path.resolve(__dirname, '../..');
const IOU_MIN = 0.99;
const SCORE_TOL = 1e-3;
const MATCH_MIN = 0.99;

/** One image's detections, torchvision's form: boxes xyxy in original pixels. */
interface ImageDets {
  boxes: number[][];
  scores: number[];
  labels: number[];
}

interface ManifestWeights {
  id: string;
  path: string;
  numClasses: number;
  variant: string;
  frozenBnEps: number;
  torchvisionSecondsPerImage: number[];
  detections: Record<string, ImageDets>;
}

interface Manifest {
  /** `--arch` for detect (r50_fpn_v2_parity.py writes fasterrcnn_resnet50_fpn_v2); default fasterrcnn_resnet50_fpn. */
  arch?: string;
  torch: string;
  torchvision: string;
  images: string[];
  weights: ManifestWeights[];
  /** r50_fpn_parity.py's FrozenBN eps controls (absent for v2, whose weights have no eps quirk). */
  controls?: {
    unknownNamePath: string;
    expectMatchOf: string;
    torchvisionEps1e5Detections: Record<string, ImageDets>;
  };
}

interface CocoResult {
  file_name: string;
  category_id: number;
  bbox: [number, number, number, number];
  score: number;
}

/** Comparison of two detection sets over all images. */
export interface Comparison {
  reference: number;
  candidate: number;
  matched: number;
  /** Over pairs with the same class and IoU ≥ 0.5 (the best such candidate per reference detection). */
  maxBoxDiff: number;
  maxScoreDiff: number;
}

function iou(a: number[], b: number[]): number {
  const iw = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const ih = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = iw * ih;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * Greedy matching per image: each reference detection (score order) takes the unused candidate of its class with
 * the highest IoU; it counts as matched when IoU ≥ 0.99 and |Δscore| ≤ 1e-3.
 */
export function compareDetections(
  ref: Record<string, ImageDets>,
  cand: Record<string, ImageDets>,
): Comparison {
  const c: Comparison = { reference: 0, candidate: 0, matched: 0, maxBoxDiff: 0, maxScoreDiff: 0 };
  for (const file of new Set([...Object.keys(ref), ...Object.keys(cand)])) {
    const r = ref[file] ?? { boxes: [], scores: [], labels: [] };
    const d = cand[file] ?? { boxes: [], scores: [], labels: [] };
    c.reference += r.scores.length;
    c.candidate += d.scores.length;
    const used = new Uint8Array(d.scores.length);
    for (let i = 0; i < r.scores.length; i++) {
      let best = -1;
      let bestIou = 0.5;
      for (let j = 0; j < d.scores.length; j++) {
        if (used[j] || d.labels[j] !== r.labels[i]) continue;
        const v = iou(r.boxes[i], d.boxes[j]);
        if (v >= bestIou) [best, bestIou] = [j, v];
      }
      if (best < 0) continue;
      used[best] = 1;
      const dScore = Math.abs(r.scores[i] - d.scores[best]);
      const dBox = Math.max(...r.boxes[i].map((v, k) => Math.abs(v - d.boxes[best][k])));
      c.maxBoxDiff = Math.max(c.maxBoxDiff, dBox);
      c.maxScoreDiff = Math.max(c.maxScoreDiff, dScore);
      if (bestIou >= IOU_MIN && dScore <= SCORE_TOL) c.matched++;
    }
  }
  return c;
}

export function passes(c: Comparison): boolean {
  return c.matched >= MATCH_MIN * Math.max(c.reference, c.candidate);
}

/** COCO results list (bbox xywh) → per-image xyxy, keyed by file base name. */
function fromCocoResults(results: CocoResult[]): Record<string, ImageDets> {
  const out: Record<string, ImageDets> = {};
  for (const r of results) {
    const d = (out[path.basename(r.file_name)] ??= { boxes: [], scores: [], labels: [] });
    const [x, y, w, h] = r.bbox;
    d.boxes.push([x, y, x + w, y + h]);
    d.scores.push(r.score);
    d.labels.push(r.category_id);
  }
  return out;
}

interface DetectRun {
  detections: Record<string, ImageDets>;
  secondsPerImage: number;
  wallSeconds: number;
}

function runDetect(
  arch: string,
  weights: string,
  engine: string,
  images: string[],
  outFile: string,
): DetectRun {
  const t0 = performance.now();
  const args = ['-r', './tools/register.js', 'apps/cli/src/main.ts', 'detect', '--arch', arch];
  args.push('--weights', weights, '--engine', engine, '--out', outFile, '--strict');
  // one in-thread model: the tfjs worker pool runs the built worker (dist/), this tool runs the sources
  args.push('--workers', '1', ...images);
  const res = spawnSync(process.execPath, args, { cwd: REPO_ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
  const wallSeconds = (performance.now() - t0) / 1000;
  if (res.status !== 0) {
    throw new Error(
      `detect (${engine}, ${weights}) exited ${res.status ?? res.signal}:\n${res.stderr.slice(-4000)}`,
    );
  }
  const summary = /detect: (\d+) processed, \d+ skipped, \d+ detections, ([\d.]+) s/.exec(res.stderr);
  if (!summary)
    throw new Error(`detect (${engine}, ${weights}): no summary line in\n${res.stderr.slice(-2000)}`);
  const results = JSON.parse(fs.readFileSync(outFile, 'utf8')) as CocoResult[];
  return {
    detections: fromCocoResults(results),
    secondsPerImage: Number(summary[2]) / Number(summary[1]),
    wallSeconds,
  };
}

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function fmt(c: Comparison): string[] {
  const pct = (100 * c.matched) / Math.max(c.reference, c.candidate, 1);
  return [
    String(c.reference),
    String(c.candidate),
    `${c.matched} (${pct.toFixed(1)} %)`,
    c.maxBoxDiff.toExponential(2),
    c.maxScoreDiff.toExponential(2),
  ];
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
}

function main(): void {
  const dir = path.resolve(flag('--dir') ?? '/tmp/r50-fpn-parity');
  const engines = (flag('--engines') ?? 'tfjs,ort').split(',');
  const only = flag('--only')?.split(',');
  const manifestFile = path.join(dir, 'manifest.json');
  if (!fs.existsSync(manifestFile)) {
    throw new Error(
      `${manifestFile}: not found; run /usr/bin/python3 tools/detection/r50_fpn_parity.py --out ${dir}`,
    );
  }
  const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as Manifest;
  const images = manifest.images.map((p) => path.join(dir, p));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'r50-parity-'));
  const header = [
    'weights',
    'engine',
    'torchvision',
    'resdet',
    'matched',
    'max |Δbox| px',
    'max |Δscore|',
    's/img',
    'result',
  ];
  const rows: string[][] = [];
  let failed = false;

  const arch = manifest.arch ?? 'fasterrcnn_resnet50_fpn';
  const controls = manifest.controls;
  const eps1e5 =
    controls &&
    compareDetections(
      manifest.weights.find((w) => w.id === controls.expectMatchOf)!.detections,
      controls.torchvisionEps1e5Detections,
    );

  for (const w of manifest.weights) {
    if (only && !only.includes(w.id)) continue;
    for (const engine of engines) {
      const out = path.join(tmp, `${w.id}.${engine}.json`);
      const run = runDetect(arch, path.join(dir, w.path), engine, images, out);
      const c = compareDetections(w.detections, run.detections);
      const ok = passes(c);
      failed ||= !ok;
      rows.push([w.id, engine, ...fmt(c), run.secondsPerImage.toFixed(1), ok ? 'PASS' : 'FAIL']);
      console.error(`${rows[rows.length - 1].join('  ')}  (wall ${run.wallSeconds.toFixed(0)} s)`);
    }
  }
  if (controls && eps1e5 && !process.argv.includes('--no-control')) {
    const ref = manifest.weights.find((w) => w.id === controls.expectMatchOf)!;
    for (const engine of engines.slice(0, 1)) {
      const run = runDetect(
        arch,
        path.join(dir, controls.unknownNamePath),
        engine,
        images,
        path.join(tmp, `control.${engine}.json`),
      );
      // vs torchvision with eps 0: must differ (when torchvision's own eps 0 / 1e-5 answers differ) …
      const c = compareDetections(ref.detections, run.detections);
      const differs = !passes(c);
      failed ||= !differs && !passes(eps1e5);
      const name = `${ref.id} renamed (eps 1e-5)`;
      rows.push([
        `${name} vs eps 0`,
        engine,
        ...fmt(c),
        run.secondsPerImage.toFixed(1),
        differs ? 'differs (expected)' : 'SAME',
      ]);
      // … and match torchvision run with eps 1e-5.
      const c5 = compareDetections(controls.torchvisionEps1e5Detections, run.detections);
      failed ||= !passes(c5);
      rows.push([
        `${name} vs eps 1e-5`,
        engine,
        ...fmt(c5),
        run.secondsPerImage.toFixed(1),
        passes(c5) ? 'PASS' : 'FAIL',
      ]);
      console.error(
        rows
          .slice(-2)
          .map((r) => r.join('  '))
          .join('\n'),
      );
    }
  }
  if (eps1e5) {
    const same = passes(eps1e5) ? 'same' : 'differs';
    rows.push(['torchvision k91-zip eps 1e-5 vs eps 0', 'torchvision', ...fmt(eps1e5), '-', same]);
  }
  const tvSecs = manifest.weights.flatMap((w) => w.torchvisionSecondsPerImage);
  console.log(
    `\nresdet detect --arch ${arch} vs torchvision ${manifest.torchvision} (torch ${manifest.torch}), ${images.length} images ` +
      `(${manifest.images.map((p) => path.basename(p)).join(', ')}); match = same class, IoU ≥ ${IOU_MIN}, ` +
      `|Δscore| ≤ ${SCORE_TOL}; pass = ≥ ${MATCH_MIN * 100} % matched\n`,
  );
  printTable(header, rows);
  console.log(
    `\ntorchvision (same machine, its own threads): ${(tvSecs.reduce((a, b) => a + b, 0) / tvSecs.length).toFixed(1)} s/image`,
  );
  fs.rmSync(tmp, { recursive: true, force: true });
  process.exitCode = failed ? 1 : 0;
}

if (require.main === module) main();
