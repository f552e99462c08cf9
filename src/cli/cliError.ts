/**
 * An error the CLI reports as one `error:` line with its exit status: 2 (the default) when the input is wrong
 * (an option, a file, a checkpoint that does not fit the command), 1 when a run failed (a loss that became NaN,
 * a write that failed after the work). 130 and 143 are runs stopped by SIGINT and SIGTERM, their work kept.
 */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: 1 | 2 = 2) {
    super(message);
    this.name = 'CliError';
  }
}
