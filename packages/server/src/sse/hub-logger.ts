/** The slice of a pino logger the hub writes to (the server's logger, or a silent one in tests). */
export interface HubLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  debug(object: object, message: string): void;
}

export const SILENT_LOGGER: HubLogger = {
  info: () => undefined,
  warn: () => undefined,
  debug: () => undefined,
};
