import { invalidArgument } from '../domain/api-error';
import { quote } from '../domain/names';
import type { JsonObject } from '../domain/message-types';

/** Bounds of an integer field and what they mean, for the message. */
export interface IntegerRange {
  readonly min: number;
  readonly max: number;
  /** e.g. "from 0 (all) to 2 (the number of witnesses)". */
  readonly meaning: string;
}

/**
 * Reads the fields of a resource message (canonical proto3 JSON) for a kind's `parse`. Every problem is an
 * INVALID_ARGUMENT naming the field as `<resource field>.<field>` ("policy.cluster") and saying what to send.
 */
export class SpecReader {
  constructor(
    private readonly input: JsonObject,
    /** The resource field of the request ("policy"), prefixed to field names in messages. */
    readonly prefix: string,
  ) {}

  /** A field's name in messages: "policy.cluster". */
  path(field: string): string {
    return `${this.prefix}.${field}`;
  }

  /** The raw value of a field (for message-valued fields a kind reads itself). */
  value(field: string): unknown {
    return this.input[field];
  }

  /** A string field ('' when absent). `required` says what an empty one should hold; `max` bounds its length. */
  text(field: string, options: { required?: string; max?: number } = {}): string {
    const v = this.present(field);
    if (v !== undefined && typeof v !== 'string')
      throw invalidArgument(`${this.path(field)} must be a string, got ${quote(JSON.stringify(v))}`);
    const s = v ?? '';
    if (s === '' && options.required !== undefined) throw invalidArgument(`${this.path(field)} is required: ${options.required}`);
    if (options.max !== undefined && s.length > options.max)
      throw invalidArgument(`${this.path(field)} must be at most ${options.max} characters`);
    return s;
  }

  /** A bool field (false when absent). */
  bool(field: string): boolean {
    const v = this.present(field);
    if (v !== undefined && typeof v !== 'boolean')
      throw invalidArgument(`${this.path(field)} must be true or false, got ${quote(JSON.stringify(v))}`);
    return v === true;
  }

  /** A repeated string field without repeats (the first of each kept), holding at most `max` entries. */
  strings(field: string, max: number): string[] {
    const v = this.present(field) ?? [];
    if (!Array.isArray(v)) throw invalidArgument(`${this.path(field)} must be a list of strings`);
    if (v.length > max) throw invalidArgument(`${this.path(field)} may hold at most ${max} entries`);
    v.forEach((x, i) => {
      if (typeof x !== 'string') throw invalidArgument(`${this.path(field)}[${i}] must be a string, got ${quote(JSON.stringify(x))}`);
    });
    return [...new Set(v as string[])];
  }

  /** An integer field (0 when absent) within `range`. */
  integer(field: string, range: IntegerRange): number {
    const v = this.present(field) ?? 0;
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : NaN;
    if (!Number.isInteger(n) || n < range.min || n > range.max) {
      throw invalidArgument(`${this.path(field)} must be ${range.meaning}, got ${quote(typeof v === 'string' ? v : JSON.stringify(v))}`);
    }
    return n;
  }

  /** An enum field: one of `values`; absent or its `_UNSPECIFIED` name means `fallback`. */
  oneOf<T extends string>(field: string, values: readonly T[], fallback: T): T {
    const v = this.present(field);
    if (v === undefined || (typeof v === 'string' && v.endsWith('_UNSPECIFIED'))) return fallback;
    if (typeof v === 'string' && (values as readonly string[]).includes(v)) return v as T;
    throw invalidArgument(`${this.path(field)} must be one of ${values.join(', ')}, got ${quote(JSON.stringify(v))}`);
  }

  /** The field's value, with null (JSON's "unset") as absent. */
  private present(field: string): unknown {
    const v = this.input[field];
    return v === null ? undefined : v;
  }
}
