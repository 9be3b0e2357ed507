import pino from 'pino';

/** The structured JSON logger every component receives from the composition root. */
export type Logger = pino.Logger;

/** Creates the process logger; secrets must never be passed to it (redaction is a safety net only). */
export function createLogger(level: string = 'info', destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'attestd' },
      redact: {
        paths: ['*.authorization', '*.headers.authorization', 'password', '*.password', 'secret', '*.secret', 'privateKey', '*.privateKey'],
        censor: '[redacted]',
      },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

/** A logger that drops everything, for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
