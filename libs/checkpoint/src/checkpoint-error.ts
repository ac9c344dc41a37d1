/**
 * Every failure to read, write or apply a checkpoint: unreadable or truncated files, unknown formats,
 * unsupported dtypes or pickle opcodes, and state dicts that do not fit a model. The message always
 * names the file (`checkpoint model.pth: ...`); `file` carries it for apps that map errors to exit codes.
 */
export class CheckpointError extends Error {
  override name = 'CheckpointError';
  constructor(
    message: string,
    readonly file?: string,
  ) {
    super(file ? `checkpoint ${file}: ${message}` : message);
  }
}
