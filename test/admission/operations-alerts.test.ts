import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { WebhookClient, admissionSettings, startAttestd, startRemoteWebhook } from './admission-harness';

const GUIDE = path.join(__dirname, '..', '..', '..', 'docs', 'operations.md');

/** The metric names the operations guide's "Alerts" section builds its expressions on (histograms by their base name). */
function alertedMetrics(): string[] {
  const text = fs.readFileSync(GUIDE, 'utf8');
  const section = text.slice(text.indexOf('\n## Alerts'));
  const end = section.indexOf('\n## ', 1);
  const alerts = end > 0 ? section.slice(0, end) : section;
  const names = [...alerts.matchAll(/\battestd_[a-z_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, ''));
  return [...new Set(names)];
}

// The alerts docs/operations.md recommends are set on metrics attestd and its adapter really export.
describe('the operations guide alerts on metrics that exist', function () {
  this.timeout(120_000);
  let server: Awaited<ReturnType<typeof startAttestd>> | undefined;
  let remote: Awaited<ReturnType<typeof startRemoteWebhook>> | undefined;

  after(async () => {
    await remote?.stop();
    await server?.stop();
  });

  it('every metric an alert names is exported by attestd serve or the admission adapter', async () => {
    const names = alertedMetrics();
    expect(names.length, 'the Alerts section names metrics').to.be.greaterThan(5);
    server = await startAttestd();
    remote = await startRemoteWebhook(server.baseUrl, admissionSettings());
    const client = new WebhookClient(remote);
    try {
      const exported = [await (await fetch(`${server.baseUrl}/metrics`)).text(), (await client.send('GET', '/metrics')).text].join('\n');
      const types = new Set([...exported.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));
      expect(names.filter((n) => !types.has(n))).to.deep.equal([]);
    } finally {
      client.close();
    }
  });
});
