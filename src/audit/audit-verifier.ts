import type { AuditStore } from '../domain/stores/audit-store';
import { eventHash, GENESIS_HASH } from '../domain/audit-event';
import type { Anchor } from './audit-anchors';

/** Where a chain breaks. */
export interface ChainProblem {
  readonly projectId: string;
  readonly seq?: number;
  readonly eventId?: string;
  readonly message: string;
}

/** The outcome of checking every chain. */
export interface VerifyReport {
  readonly chains: number;
  readonly events: number;
  readonly problems: ChainProblem[];
  /** The stored head of each chain checked (absent for a chain without one). */
  readonly heads: ReadonlyMap<string, { readonly seq: number; readonly hash: string }>;
  /** Anchors checked. */
  readonly anchors: number;
}

const BATCH = 1000;

/**
 * Checks each project's chain: consecutive seq from 1, each prev_hash equal to the previous hash, each hash
 * recomputed from the stored fields, the chain head equal to the newest event, and every anchor (an earlier
 * head recorded outside the database) still present with its hash. Reports the first break of each chain.
 * Events not yet chained (audit_pending) are not part of any chain yet and are not checked.
 */
export function verifyAuditChains(store: AuditStore, anchors: readonly Anchor[], only?: string): Promise<VerifyReport> {
  // One snapshot: the sequencer keeps chaining while this runs, and a head read before newer events would
  // look like events appended around the head.
  return store.inSnapshot((snapshot) => verifySnapshot(snapshot, anchors, only));
}

async function verifySnapshot(store: AuditStore, anchors: readonly Anchor[], only?: string): Promise<VerifyReport> {
  const heads = new Map((await store.heads()).map((h) => [h.projectId, h]));
  const projects = (await store.chains()).filter((p) => only === undefined || p === only);
  for (const a of anchors) if ((only === undefined || a.project === only) && !projects.includes(a.project)) projects.push(a.project);
  const problems: ChainProblem[] = [];
  const checked = new Map<string, { seq: number; hash: string }>();
  let events = 0;
  let anchorCount = 0;
  for (const projectId of projects) {
    const own = anchors.filter((a) => a.project === projectId);
    const problem = await verifyChain(store, projectId, heads.get(projectId), own);
    events += problem.events;
    anchorCount += own.length;
    if (problem.problem) problems.push(problem.problem);
    const head = heads.get(projectId);
    if (head) checked.set(projectId, { seq: head.seq, hash: head.hash });
  }
  return { chains: projects.length, events, problems, heads: checked, anchors: anchorCount };
}

async function verifyChain(
  store: AuditStore,
  projectId: string,
  head: { seq: number; hash: string } | undefined,
  anchors: readonly Anchor[],
): Promise<{ events: number; problem?: ChainProblem }> {
  let seq = 0;
  let prev = GENESIS_HASH;
  for (;;) {
    const batch = await store.chainSlice(projectId, seq, BATCH);
    for (const e of batch) {
      const at = { projectId, seq: e.seq, eventId: e.eventId };
      if (e.seq !== seq + 1) {
        return {
          events: seq,
          problem: {
            ...at,
            message: `event ${seq + 1}${e.seq > seq + 2 ? `-${e.seq - 1}` : ''} is missing (deleted); the chain jumps from ${seq} to ${e.seq}`,
          },
        };
      }
      if (e.prevHash !== prev) {
        return {
          events: seq,
          problem: { ...at, message: `event ${e.seq} does not link to event ${seq} (inserted, or its predecessor was replaced)` },
        };
      }
      if (eventHash(e) !== e.hash) {
        return { events: seq, problem: { ...at, message: `event ${e.seq} was modified: its hash does not match its content` } };
      }
      seq = e.seq;
      prev = e.hash;
    }
    if (batch.length < BATCH) break;
  }
  if (!head) return { events: seq, problem: { projectId, message: `the chain has ${seq} event(s) but no chain head` } };
  if (head.seq !== seq || head.hash !== prev) {
    const message =
      head.seq > seq
        ? `the chain head records event ${head.seq} but the newest event is ${seq}: the newest event(s) were deleted`
        : `the chain head (event ${head.seq}) does not match the newest event ${seq}: events were appended around the head or the head was altered`;
    return { events: seq, problem: { projectId, seq: head.seq, message } };
  }
  for (const a of anchors) {
    if (a.seq > seq) {
      return {
        events: seq,
        problem: {
          projectId,
          seq: a.seq,
          message: `anchored event ${a.seq} (${a.time}) is missing: the chain ends at ${seq}, so the newest events and the head were rewritten`,
        },
      };
    }
    const e = await store.eventAt(projectId, a.seq);
    if (!e || e.hash !== a.hash) {
      return {
        events: seq,
        problem: { projectId, seq: a.seq, message: `event ${a.seq} no longer has the hash anchored at ${a.time}: the chain was rewritten` },
      };
    }
  }
  return { events: seq };
}
