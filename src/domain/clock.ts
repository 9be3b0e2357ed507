/** Time as the services see it: RFC 3339 UTC strings with millisecond precision. */
export interface Clock {
  now(): string;
}

/** The system clock. */
export const systemClock: Clock = { now: () => new Date().toISOString() };
