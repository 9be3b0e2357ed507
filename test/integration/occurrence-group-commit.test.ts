import crypto from 'node:crypto';
import { expect } from 'chai';
import type { Knex } from 'knex';
import { createServices, serviceStores, type AppServices } from '../../src/app/create-services';
import { createStores, type AppStores } from '../../src/app/create-stores';
import { loadConfig } from '../../src/config';
import type { JsonObject } from '../../src/domain/message-types';
import { internalContext, type RequestContext } from '../../src/domain/request-context';
import { silentLogger } from '../../src/logger';
import { openDatabase } from '../../src/store/database';
import { ApiError } from '../../src/domain/api-error';
import { defaultBackend } from '../support/test-database';

const URI = 'https://registry.example.com/ns/app@sha256:' + 'c'.repeat(64);
const attestation = { serializedPayload: Buffer.from('{}').toString('base64'), signatures: [] };

/** A create's answer: OK with the occurrence, or the code and message of the ApiError (anything else is a bug). */
async function outcome(call: Promise<JsonObject>): Promise<{ code: string; message?: string; value?: JsonObject }> {
  try {
    return { code: 'OK', value: await call };
  } catch (err) {
    if (err instanceof ApiError) return { code: err.code, message: err.message };
    throw err;
  }
}

/**
 * Single CreateOccurrence calls of one project that arrive together share statements (group commit, ADR 0081), on
 * the real database: each caller still gets its own outcome and its own audit event, and projects never share one.
 */
describe('occurrence group commit (PostgreSQL)', function () {
  this.timeout(60000);
  let stores: AppStores;
  let services: AppServices;
  let knex: Knex;
  const admin = internalContext('setup');
  const caller = (requestId: string, subject: string): RequestContext => ({
    requestId,
    principal: { subject, roles: { '*': ['attestor'] } },
    transport: 'rest',
  });

  before(async () => {
    const config = loadConfig({
      DATABASE_URL: await defaultBackend().createDatabase(),
      MASTER_KEY: crypto.randomBytes(32).toString('base64'),
      DATA_DIR: '/nonexistent',
      LOG_LEVEL: 'silent',
    });
    stores = await createStores(config, silentLogger());
    services = createServices(serviceStores(stores), config, silentLogger());
    knex = openDatabase({ url: stores.databaseUrl, poolMax: 2 });
    for (const p of ['g', 'h']) {
      await services.projects.create(admin, `projects/${p}`);
      await services.notes.create(admin, `projects/${p}`, 'att', { attestation: { hint: { humanReadableName: 'att' } } });
      await services.notes.create(admin, `projects/${p}`, 'build', { build: { builderVersion: '1' } });
    }
  });
  after(async () => {
    await knex?.destroy();
    await stores?.close();
  });

  /** The transaction ids that wrote the project's occurrences, per occurrence name. */
  const writers = async (project: string): Promise<Map<string, string>> => {
    const rows: { name: string; xmin: string }[] = (
      await knex.raw(`SELECT body->>'name' AS name, xmin::text AS xmin FROM occurrences WHERE project_id = ?`, [project])
    ).rows;
    return new Map(rows.map((r) => [r.name, r.xmin]));
  };

  it('writes creates that arrive together in shared statements, each answered with its own occurrence', async () => {
    const body = { resourceUri: URI, noteName: 'projects/h/notes/att', attestation };
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => outcome(services.occurrences.create(caller(`h-${i}`, 'u'), 'projects/h', body))),
    );
    expect(answers.map((a) => a.code)).to.deep.equal(Array(20).fill('OK'));
    const written = await writers('h');
    expect([...written.keys()].sort()).to.deep.equal(answers.map((a) => String(a.value!.name)).sort());
    expect(new Set(written.values()).size, 'statements that wrote 20 creates').to.be.lessThan(20);
  });

  it('answers every caller of a group holding bad creates with its own outcome and its own audit event', async () => {
    const calls: { ctx: RequestContext; body: JsonObject; want: string }[] = [];
    for (let i = 0; i < 24; i++) {
      const ctx = caller(`req-${i}`, `user-${i % 3}`);
      if (i === 7 || i === 15) calls.push({ ctx, body: { resourceUri: URI, noteName: 'projects/g/notes/ghost' }, want: 'NOT_FOUND' });
      else if (i === 11)
        calls.push({ ctx, body: { resourceUri: URI, noteName: 'projects/g/notes/build', attestation }, want: 'INVALID_ARGUMENT' });
      else calls.push({ ctx, body: { resourceUri: URI, noteName: 'projects/g/notes/att', attestation }, want: 'OK' });
    }
    // Submitted in one tick: all but the first ones wait for a statement in flight and are written together.
    const answers = await Promise.all(calls.map((c) => outcome(services.occurrences.create(c.ctx, 'projects/g', c.body))));
    expect(answers.map((a) => a.code)).to.deep.equal(calls.map((c) => c.want));
    expect(answers[7]!.message).to.equal('occurrence.noteName: note projects/g/notes/ghost does not exist');
    expect(answers[11]!.message).to.match(/^occurrence: occurrence kind ATTESTATION does not match the kind BUILD/);

    const created = answers.filter((a) => a.code === 'OK').map((a) => String(a.value!.name));
    expect([...(await writers('g')).keys()].sort()).to.deep.equal([...created].sort());

    // One audit event per created occurrence, with the caller and request id of the call that created it.
    const events: { resource: string; actor: string; request_id: string }[] = await knex
      .select('resource', 'actor', 'request_id')
      .from(
        knex.raw(
          `(SELECT resource, actor, request_id, method FROM audit_pending UNION ALL SELECT resource, actor, request_id, method FROM audit_events) e`,
        ),
      )
      .where({ method: 'CreateOccurrence' })
      .andWhereLike('resource', 'projects/g/%');
    const expected = calls
      .map((c, i) => ({ c, a: answers[i]! }))
      .filter(({ a }) => a.code === 'OK')
      .map(({ c, a }) => ({ resource: String(a.value!.name), actor: c.ctx.principal!.subject, request_id: c.ctx.requestId }));
    const byResource = (x: { resource: string }, y: { resource: string }) => x.resource.localeCompare(y.resource);
    expect([...events].sort(byResource)).to.deep.equal(expected.sort(byResource));
  });

  it('never writes creates of two projects in one statement', async () => {
    const body = (p: string): JsonObject => ({ resourceUri: URI, noteName: `projects/${p}/notes/att`, attestation });
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => {
        const p = i % 2 === 0 ? 'g' : 'h';
        return outcome(services.occurrences.create(caller(`mix-${i}`, 'mixer'), `projects/${p}`, body(p)));
      }),
    );
    expect(answers.every((a) => a.code === 'OK')).to.equal(true);
    const g = new Set((await writers('g')).values());
    const h = new Set((await writers('h')).values());
    expect([...h].filter((x) => g.has(x))).to.deep.equal([]);
  });

  it('answers NOT_FOUND to each create of a project that does not exist, and writes nothing', async () => {
    const answers = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        outcome(
          services.occurrences.create(caller(`ghost-${i}`, 'ghost'), 'projects/nowhere', {
            resourceUri: URI,
            noteName: 'projects/g/notes/att',
            attestation,
          }),
        ),
      ),
    );
    expect(answers.map((a) => a.code)).to.deep.equal(Array(5).fill('NOT_FOUND'));
    expect((await writers('nowhere')).size).to.equal(0);
  });
});
