/** Why an image could not be read; `ImageReadError.reason` holds one of these. */
export type ImageReadReason = 'missing' | 'empty' | 'unsupported' | 'too-many-pixels' | 'corrupt';

/**
 * An image file that could not be decoded. The message names the file and says why
 * (`image data/x.jpg: empty file (0 bytes)`); `reason` lets callers (the CLI's `detect` job, the API)
 * choose an exit code or an HTTP status without parsing text.
 */
export class ImageReadError extends Error {
  override readonly name = 'ImageReadError';

  constructor(
    readonly file: string,
    readonly reason: ImageReadReason,
    /** The reason in words, without the file name. */
    readonly detail: string,
  ) {
    super(`image ${file}: ${detail}`);
  }
}

/**
 * A dataset that cannot be used as it is: malformed JSON/XML, a missing or mistyped field, ids that do not
 * match. The message names the file and the field (`annotations/instances_val.json: annotations[3].bbox must be
 * 4 numbers, got [1,2]`).
 */
export class DatasetError extends Error {
  override readonly name = 'DatasetError';

  constructor(
    readonly file: string,
    readonly field: string | undefined,
    /** What is wrong, without the file and field. */
    readonly detail: string,
  ) {
    super(field ? `${file}: ${field} ${detail}` : `${file}: ${detail}`);
  }
}

/**
 * A problem that does not stop a dataset from being read (a degenerate box dropped, a box clipped to its image).
 * Readers collect these; `dataset check` reports them as problems (images without annotations as notes).
 */
export interface DatasetIssue {
  /** What kind of problem, for counting: `box-outside`, `box-degenerate`, `image-unreadable`, `image-size`, … */
  kind: string;
  file: string;
  field: string;
  message: string;
}

/** Formats an issue the way errors are formatted: `file: field message`. */
export function formatIssue(issue: DatasetIssue): string {
  return issue.field ? `${issue.file}: ${issue.field} ${issue.message}` : `${issue.file}: ${issue.message}`;
}
