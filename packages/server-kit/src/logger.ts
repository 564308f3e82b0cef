/** The logging seam; pino's logger fits it as is. */
export interface Logger {
  info(object: Record<string, unknown>, message?: string): void;
  warn(object: Record<string, unknown>, message?: string): void;
  error(object: Record<string, unknown>, message?: string): void;
}

/** Writes warnings and errors as JSON lines to stderr and ignores info: the quiet default of a library. */
export function createConsoleLogger(): Logger {
  const write = (level: string) => (object: Record<string, unknown>, message?: string) => {
    process.stderr.write(`${JSON.stringify({ level, time: new Date().toISOString(), msg: message, ...object })}\n`);
  };
  return { info: () => {}, warn: write('warn'), error: write('error') };
}
