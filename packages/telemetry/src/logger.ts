// JSON logs through pino; human-readable only when writing to a terminal in development.
// Lines about one prediction carry its id as `prediction_id` (use `log.child`).
import { pino, type Logger } from 'pino';

export type { Logger };

export interface LoggerOptions {
  /** Component name written on every line. */
  name: string;
  /** @default 'info' */
  level?: string;
  /** Pretty output; @default true when stdout is a TTY and NODE_ENV is not production. */
  pretty?: boolean;
}

export function createLogger(options: LoggerOptions): Logger {
  const pretty = options.pretty ?? (process.stdout.isTTY === true && process.env.NODE_ENV !== 'production');
  return pino({
    name: options.name,
    level: options.level ?? 'info',
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    ...(pretty ? { transport: { target: 'pino-pretty', options: { colorize: true, singleLine: true } } } : {}),
  });
}
