import { expect } from 'chai';
import { newId } from '../../src/domain/new-id';
import { parseFilter } from '../../src/domain/filter/parse-filter';
import type { ListQuery } from '../../src/domain/message-types';
import type { NoteRecord, OccurrenceRecord } from '../../src/domain/stores/grafeas-store';
import type { Stores, UnitOfWork } from '../../src/domain/stores/unit-of-work';
import type { ContractDatabase, StoreBackend } from './backends';

/** The instant contract records are made at. */
export const T0 = '2026-01-01T00:00:00.000Z';

/** A time `seconds` after T0. */
export const at = (seconds: number): string => new Date(Date.parse(T0) + seconds * 1000).toISOString();

/** A validated list query, as listQuery builds it from a request. */
export function query(filter = '', pageSize = 20, pageToken?: string): ListQuery {
  return { filter: parseFilter(filter), filterText: filter.trim(), pageSize, pageToken };
}

/** A stored ATTESTATION note (or of another kind). */
export function note(projectId: string, noteId: string, kind = 'ATTESTATION', time = T0): NoteRecord {
  const name = `projects/${projectId}/notes/${noteId}`;
  return {
    projectId,
    noteId,
    kind,
    createTime: time,
    updateTime: time,
    body: { name, kind, attestation: { hint: { humanReadableName: noteId } } },
  };
}

/** A stored occurrence of `n` in `projectId` on `resourceUri`. */
export function occurrence(projectId: string, n: NoteRecord, resourceUri: string, time = T0): OccurrenceRecord {
  const occurrenceId = newId();
  return {
    projectId,
    occurrenceId,
    resourceUri,
    noteProjectId: n.projectId,
    noteId: n.noteId,
    kind: n.kind,
    createTime: time,
    updateTime: time,
    body: { name: `projects/${projectId}/occurrences/${occurrenceId}`, resourceUri, noteName: n.body.name, kind: n.kind },
  };
}

/** What a call rejected with (fails the test when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  expect.fail('expected a rejection, the call succeeded');
}

/** Expects an INVALID_ARGUMENT about page tokens (a token from another list, or tampered with). */
export async function expectBadToken(promise: Promise<unknown>): Promise<void> {
  const err = await rejection(promise);
  expect(err.code).to.equal('INVALID_ARGUMENT');
  expect(err.message).to.match(/^pageToken is not valid for this request/);
}

/** A page token with one character of its signed body changed. */
export function tampered(token: string): string {
  expect(token).to.not.equal('');
  const i = Math.floor(token.indexOf('.') / 2);
  return `${token.slice(0, i)}${token[i] === 'A' ? 'B' : 'A'}${token.slice(i + 1)}`;
}

/** Opens a fresh database of the backend for one suite (closed after it) and hands out its unit of work. */
export function useDatabase(backend: StoreBackend): { db: () => ContractDatabase; uow: () => UnitOfWork } {
  let db: ContractDatabase | undefined;
  let uow: UnitOfWork | undefined;
  before(async function () {
    this.timeout(120000);
    db = await backend.open();
    uow = db.unitOfWork();
  });
  after(async () => db?.close());
  return { db: () => db!, uow: () => uow! };
}

/** Creates projects (outside any transaction). */
export async function createProjects(uow: UnitOfWork, ...projectIds: string[]): Promise<void> {
  for (const projectId of projectIds) expect(await uow.stores.projects.insert({ projectId, createTime: T0 })).to.equal(true);
}

/** One transaction's locking step. */
export type LockStep = (stores: Stores) => Promise<unknown>;

/**
 * Runs two transactions that lock the same thing: the first takes its lock and holds it until released; the
 * second starts while it is held. Answers the order of events: ['released', 'first done', 'second locked']
 * when the lock made the second wait, ['second locked', …] when it did not.
 */
export async function lockSequence(backend: StoreBackend, uow: UnitOfWork, first: LockStep, second: LockStep): Promise<string[]> {
  const order: string[] = [];
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let locked!: () => void;
  const firstLocked = new Promise<void>((resolve) => (locked = resolve));
  const a = uow.transaction(async (s) => {
    await first(s);
    locked();
    await released;
    order.push('first done');
  });
  await firstLocked;
  const b = uow.transaction(async (s) => {
    await second(s);
    order.push('second locked');
  });
  // Time for the second to take the lock if nothing held it back (over a connection to Postgres; in memory a few
  // turns of the event loop). The order expected below is right however long this is.
  await new Promise((resolve) => setTimeout(resolve, backend.name === 'memory' ? 5 : 100));
  order.push('released');
  release();
  await Promise.all([a, b]);
  return order;
}
