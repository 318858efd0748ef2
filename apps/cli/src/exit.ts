// What `alto` exits with, and the one error type commands throw. main() prints the message
// as a single `alto: <message>` line on stderr and exits with the error's code.

export const EXIT = {
  ok: 0,
  /** The server refused the request, or the prediction failed, was canceled or expired. */
  refused: 1,
  /** Unknown command or flag, missing or malformed argument. */
  usage: 2,
  /** No connection to the server, or no answer in time. */
  unreachable: 3,
  /** HTTP 401 or 403: missing or wrong admin token or API key. */
  unauthorized: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class CliError extends Error {
  constructor(
    readonly exitCode: ExitCode,
    message: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const usageError = (message: string) => new CliError(EXIT.usage, message);
