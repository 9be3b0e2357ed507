import { expect } from 'chai';
import { coverageWarning, webhookCovers, type WebhookDeclaration } from '../../src/domain/webhook-coverage';

// Which namespaces a cluster's webhook covers, as declared on the cluster (ADR 0030, ADR 0065).

const OPT_OUT: WebhookDeclaration = {
  webhookMode: 'OPT_OUT',
  exemptNamespaces: ['kube-system', 'attestd', 'legacy'],
  enforcedNamespaces: [],
};
const OPT_IN: WebhookDeclaration = { webhookMode: 'OPT_IN', exemptNamespaces: [], enforcedNamespaces: ['shop'] };

describe('webhook coverage', () => {
  const cases: ReadonlyArray<{ desc: string; cluster: WebhookDeclaration; namespace: string; covered: boolean }> = [
    { desc: 'OPT_OUT covers an ordinary namespace', cluster: OPT_OUT, namespace: 'default', covered: true },
    { desc: 'OPT_OUT skips an exempt namespace', cluster: OPT_OUT, namespace: 'legacy', covered: false },
    { desc: 'OPT_OUT never covers kube-system', cluster: { webhookMode: 'OPT_OUT' }, namespace: 'kube-system', covered: false },
    { desc: 'OPT_IN covers an enforced namespace', cluster: OPT_IN, namespace: 'shop', covered: true },
    { desc: 'OPT_IN skips any other namespace', cluster: OPT_IN, namespace: 'default', covered: false },
    {
      desc: 'OPT_IN never covers attestd, even if listed',
      cluster: { webhookMode: 'OPT_IN', enforcedNamespaces: ['attestd'] },
      namespace: 'attestd',
      covered: false,
    },
    { desc: 'no mode declared is OPT_OUT', cluster: {}, namespace: 'default', covered: true },
  ];
  for (const c of cases) {
    it(c.desc, () => {
      expect(webhookCovers(c.cluster, c.namespace)).to.equal(c.covered);
      expect(coverageWarning('c1', c.cluster, [c.namespace]) === undefined).to.equal(c.covered);
    });
  }

  it('words the warning with the namespaces, the mode and the fix', () => {
    expect(coverageWarning('edge', OPT_IN, ['shop', 'staging', 'qa'])).to.equal(
      "namespaces staging, qa are not covered by the admission webhook of cluster edge (OPT_IN): policies there are never enforced at admission; label it attestd.io/enforce=true and add it to the cluster's enforcedNamespaces",
    );
    expect(coverageWarning('c1', OPT_OUT, ['legacy'])).to.match(
      /^namespace legacy is not covered by the admission webhook of cluster c1 \(OPT_OUT\): .*remove it from the cluster's exemptNamespaces/,
    );
    expect(coverageWarning('c1', OPT_OUT, ['kube-system'])).to.match(/kube-system and attestd are never sent to attestd$/);
  });
});
