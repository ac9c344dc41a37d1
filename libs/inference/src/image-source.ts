import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/** One input image of a batch job: where it is, and the name results and drawings use for it. */
export interface ImageSourceItem {
  /** Absolute path of the file. */
  file: string;
  /** Path relative to the input folder it was found in (the file's base name for a file given directly). */
  relative: string;
}

export interface ListImagesOptions {
  /** Called for inputs that are neither files nor folders (e.g. missing paths). */
  onMissing?: (input: string, reason: string) => void;
}

/**
 * Expands files and folders (recursively) into a stable, sorted list of candidate images. Which files are
 * images is decided later by content (the job sniffs each file), not by extension here: a JPEG named
 * `.dat` is still processed, a `.jpg` holding text is reported as skipped. Hidden files and folders
 * (`.name`) are skipped. Inputs keep their command-line order; within a folder, names sort by code point.
 */
export async function listImageFiles(
  inputs: readonly string[],
  opts: ListImagesOptions = {},
): Promise<ImageSourceItem[]> {
  const out: ImageSourceItem[] = [];
  const seen = new Set<string>();
  const add = (file: string, relative: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    out.push({ file, relative: relative.split(path.sep).join('/') });
  };
  for (const input of inputs) {
    const abs = path.resolve(input);
    let stat;
    try {
      stat = await fs.stat(abs);
    } catch (e) {
      opts.onMissing?.(
        input,
        (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or folder' : String(e),
      );
      continue;
    }
    if (stat.isDirectory()) {
      for (const f of await walk(abs)) add(f, path.relative(abs, f));
    } else if (stat.isFile()) {
      add(abs, path.basename(abs));
    } else {
      opts.onMissing?.(input, 'not a regular file or folder');
    }
  }
  return out;
}

async function walk(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const files: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) files.push(...(await walk(p)));
    else if (e.isFile()) files.push(p);
  }
  return files;
}

/**
 * Joins `relative` under `root`, refusing anything that would land outside it (`..`, absolute paths), so a
 * crafted file name can never make the job write outside its output folder.
 */
export function safeJoin(root: string, relative: string): string {
  const base = path.resolve(root);
  const target = path.resolve(base, relative);
  if (target !== base && !target.startsWith(base + path.sep)) {
    throw new Error(`output path "${relative}" escapes the output folder ${base}`);
  }
  return target;
}
