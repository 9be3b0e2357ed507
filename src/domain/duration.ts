/** Units of a duration text, in milliseconds. */
const UNITS: Record<string, number> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 };

/** Largest duration accepted (ten years), so that arithmetic on it stays exact. */
const MAX_MS = 10 * 365 * 86_400_000;

/**
 * Reads a duration written as Go and Kubernetes write them, plus days: one or more `<integer><unit>` with units
 * d, h, m, s in that order ("168h", "7d", "1h30m"). Returns milliseconds, or undefined when the text is not one.
 */
export function parseDuration(text: string): number | undefined {
  const m = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
  if (m === null || text === '') return undefined;
  const [, d, h, min, s] = m;
  const ms = [d, h, min, s].reduce((sum, v, i) => sum + (v === undefined ? 0 : Number(v) * UNITS['dhms'[i]!]!), 0);
  return ms > 0 && ms <= MAX_MS ? ms : undefined;
}

/** Writes milliseconds as a short duration in whole hours, or minutes below an hour ("200h", "45m", "0m"). */
export function formatDuration(ms: number): string {
  return ms >= 3_600_000 ? `${Math.floor(ms / 3_600_000)}h` : `${Math.floor(Math.max(ms, 0) / 60_000)}m`;
}
