import { invalidArgument } from './api-error';

/** Grafeas' limits: page size 0 means 20, larger than 1000 is clamped (AIP-158); batches hold at most 1000 items. */
export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 1000;
export const MAX_BATCH_SIZE = 1000;

/** Resolves a requested page size to the one served; a negative size is INVALID_ARGUMENT. */
export function effectivePageSize(requested: number | undefined): number {
  const n = requested ?? 0;
  if (!Number.isInteger(n)) throw invalidArgument(`pageSize must be an integer, got ${n}`);
  if (n < 0) throw invalidArgument(`pageSize must not be negative, got ${n}`);
  if (n === 0) return DEFAULT_PAGE_SIZE;
  return Math.min(n, MAX_PAGE_SIZE);
}
