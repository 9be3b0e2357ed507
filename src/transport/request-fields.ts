import { effectivePageSize } from '../domain/page-size';
import type { JsonObject } from '../domain/message-types';

/** Readers for fields of a validated request message in canonical proto3 JSON. */
export const str = (v: unknown): string => (typeof v === 'string' ? v : '');
export const optStr = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
export const obj = (v: unknown): JsonObject => (v && typeof v === 'object' && !Array.isArray(v) ? (v as JsonObject) : {});
export const bytes = (v: unknown): Buffer => (typeof v === 'string' ? Buffer.from(v, 'base64') : Buffer.alloc(0));
export const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** pageSize and pageToken of a list request, with Grafeas' defaults and limits. */
export function paging(r: JsonObject): { pageSize: number; pageToken: string | undefined } {
  return {
    pageSize: effectivePageSize(r.pageSize === undefined ? undefined : Number(r.pageSize)),
    pageToken: optStr(r.pageToken),
  };
}
