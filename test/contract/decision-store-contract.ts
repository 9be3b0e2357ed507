import { expect } from 'chai';
import { newId } from '../../src/domain/new-id';
import type { DecisionRecord } from '../../src/domain/stores/decision-store';
import type { StoreBackend } from './backends';
import { at, createProjects, expectBadToken, query, rejection, tampered, useDatabase } from './contract-fixtures';

const decision = (projectId: string, second: number, extra: Partial<DecisionRecord> = {}, images = ['i']): DecisionRecord => {
  const decisionId = newId();
  const base = {
    decisionId,
    projectId,
    time: at(second),
    cluster: 'c1',
    namespace: 'default',
    allowed: true,
    source: 'admission',
    objectKind: 'Pod',
    actor: 'webhook',
    ...extra,
  };
  return {
    ...base,
    images,
    body: JSON.stringify({
      name: `projects/${projectId}/decisions/${decisionId}`,
      allowed: base.allowed,
      results: images.map((image) => ({ image, allowed: base.allowed })),
    }),
  };
};
const nameOf = (d: DecisionRecord): unknown => (JSON.parse(d.body) as { name: string }).name;

/** What every DecisionStore must do: decisions stored in batches, listed in id order, filtered and paged. */
export function decisionStoreContract(backend: StoreBackend): void {
  describe(`decision store contract (${backend.name})`, function () {
    this.timeout(60000);
    const { uow } = useDatabase(backend);
    const decisions = () => uow().stores.decisions;
    const made: DecisionRecord[] = [];

    before(async () => {
      await createProjects(uow(), 'd1', 'd2', 'd3');
      made.push(
        decision('d1', 1),
        decision('d1', 2, { allowed: false, namespace: 'prod' }),
        decision('d1', 3, { source: 'verifyImages', objectKind: '', actor: 'ci' }),
        decision('d1', 4, { allowed: false, cluster: 'c2' }),
        decision('d2', 5),
      );
      await decisions().insert(made);
      await decisions().insert([]);
    });

    it('lists a project’s decisions in id order, as stored', async () => {
      const page = await decisions().list('d1', query('', 100));
      expect(page.items).to.deep.equal(made.filter((d) => d.projectId === 'd1').map((d) => JSON.parse(d.body) as unknown));
      expect(page.nextPageToken).to.equal('');
    });

    it('filters by outcome, place, source, kind, actor and time', async () => {
      const names = async (filter: string) => (await decisions().list('d1', query(filter, 100))).items.map((d) => d.name);
      const name = (i: number) => nameOf(made[i]!);
      expect(await names('allowed=false')).to.deep.equal([name(1), name(3)]);
      expect(await names('cluster="c2" OR namespace="prod"')).to.deep.equal([name(1), name(3)]);
      expect(await names('source=verifyImages')).to.deep.equal([name(2)]);
      expect(await names('kind="Pod" AND actor="webhook"')).to.deep.equal([name(0), name(1), name(3)]);
      expect(await names('time>="2026-01-01T00:00:03Z"')).to.deep.equal([name(2), name(3)]);
      expect(await names('NOT allowed=true')).to.deep.equal([name(1), name(3)]);
      const err = await rejection(decisions().list('d1', query('allowed=maybe')));
      expect(err.code).to.equal('INVALID_ARGUMENT');
    });

    it('filters by image: one of the decision’s images equals, starts with or contains the text', async () => {
      const a = 'r.example.com/team/app@sha256:' + 'a'.repeat(64);
      const b = 'r.example.com/team/db@sha256:' + 'b'.repeat(64);
      const c = 'other.example.com/app@sha256:' + 'c'.repeat(64);
      const mine = [decision('d3', 1, {}, [a, b]), decision('d3', 2, {}, [c]), decision('d3', 3, {}, [])];
      await decisions().insert(mine);
      const names = async (filter: string) => (await decisions().list('d3', query(filter, 100))).items.map((d) => d.name);
      const name = (i: number) => nameOf(mine[i]!);
      expect(await names(`image="${b}"`)).to.deep.equal([name(0)]);
      expect(await names('image="r.example.com/team/*"')).to.deep.equal([name(0)]);
      expect(await names(`image:"sha256:${'c'.repeat(64)}"`)).to.deep.equal([name(1)]);
      expect(await names('image:"app@"')).to.deep.equal([name(0), name(1)]);
      expect(await names('image:*')).to.deep.equal([name(0), name(1)]);
      expect(await names(`NOT image="${a}"`)).to.deep.equal([name(1), name(2)]);
      expect(await names(`image="${a}" AND allowed=true`)).to.deep.equal([name(0)]);
      expect(await names('image="nothing"')).to.deep.equal([]);
      const err = await rejection(decisions().list('d3', query(`image!="${a}"`)));
      expect(err.code).to.equal('INVALID_ARGUMENT');
      expect(err.message).to.match(/holds a list; use = .* or :/);
    });

    it('pages with tokens bound to the project and filter', async () => {
      const first = await decisions().list('d1', query('cluster:*', 3));
      const rest = await decisions().list('d1', query('cluster:*', 3, first.nextPageToken));
      expect([...first.items, ...rest.items]).to.have.length(4);
      await expectBadToken(decisions().list('d1', query('', 3, first.nextPageToken)));
      await expectBadToken(decisions().list('d2', query('cluster:*', 3, first.nextPageToken)));
      await expectBadToken(decisions().list('d1', query('cluster:*', 3, tampered(first.nextPageToken))));
    });

    it('refuses a decision of a project that does not exist, and the whole batch with it', async () => {
      const err = await rejection(decisions().insert([decision('d2', 6), decision('absent', 7)]));
      expect(uow().classifyError(err)?.code).to.equal('FAILED_PRECONDITION');
      expect((await decisions().list('d2', query('', 100))).items).to.have.length(1);
    });
  });
}
