/** An error the CLI reports as one `error:` line with its own exit status (2: a file it cannot read). */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'CliError';
  }
}
