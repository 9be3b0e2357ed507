import fs from 'node:fs';
import { expect } from 'chai';
import pg from 'pg';
import type { Page } from 'playwright-core';
import { CONSOLE_CSP } from '../../src/transport/http/console-router';
import { startTestServer, testToken, type TestServer } from '../support/test-server';
import { CHROMIUM_PATH, launchChromium, screenshot, seriousViolations, type ConsoleBrowser } from './console-browser';
import { ATTESTED, HOSTILE, PROJECT, seedConsoleWorld, UNSIGNED } from './console-world';

// The auditor console in Debian's Chromium against a real attestd on Postgres: sign in, walk each page as a
// user would, follow a denied decision to its policy, and show that hostile text stays text under a strict CSP.

describe('console in Chromium', function () {
  this.timeout(120_000);
  let server: TestServer;
  let chrome: ConsoleBrowser;
  let page: Page;
  const viewer = testToken({ [PROJECT]: ['viewer'] }, 'auditor-on-call');
  const errors: string[] = [];

  before(async function () {
    if (!fs.existsSync(CHROMIUM_PATH)) {
      console.error(`\n  !!! console browser tests SKIPPED: no Chromium at ${CHROMIUM_PATH} (apt-get install chromium) !!!\n`);
      this.skip();
    }
    server = await startTestServer();
    await seedConsoleWorld(server);
    chrome = await launchChromium();
    page = await chrome.context.newPage();
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console: ${m.text()}`);
    });
    page.on('request', (r) => {
      if (!r.url().startsWith(server.baseUrl)) errors.push(`third-party request: ${r.url()}`);
    });
  });

  after(async () => {
    await chrome?.close();
    await server?.stop();
  });

  const url = (p: string) => `${server.baseUrl}/console/p/${PROJECT}/${p}`;
  const mainText = () => page.locator('main').innerText();

  /** Nothing a writer planted ran or became markup. */
  async function expectInert(): Promise<void> {
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).to.equal(undefined);
    expect(await page.locator('#injected, main img, main script').count()).to.equal(0);
  }

  it('serves the console with a strict CSP and no framing', async () => {
    const res = await fetch(`${server.baseUrl}/console/p/${PROJECT}/images`);
    expect(res.status).to.equal(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).to.equal(CONSOLE_CSP);
    expect(csp).to.include("script-src 'self'").and.include("frame-ancestors 'none'").and.not.include('unsafe');
    expect(await res.text()).to.not.match(/<script>|\son\w+=/);
  });

  it('asks a new tab for the token, then opens the pasted image page', async () => {
    await page.goto(url(`images?q=${encodeURIComponent(ATTESTED)}`));
    await page.getByLabel('Token').fill(viewer);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Attestations' }).waitFor();
    await page.locator('[data-verified]').first().waitFor();
    expect(page.url()).to.not.include(viewer.slice(0, 20));
    expect(await page.evaluate(() => Object.keys(sessionStorage))).to.deep.equal(['attestd.token']);
    expect(await page.evaluate(() => Object.keys(localStorage).length + document.cookie.length)).to.equal(0);
    const text = await mainText();
    expect(text).to.include('ci').and.include('EC_SIGN_P256_SHA256').and.include('test-admin');
    expect(await page.locator('[data-verified="true"]').count()).to.equal(1);
    expect(text).to.include('ATTESTED');
    await screenshot(page, 'image');
    expect(await seriousViolations(page)).to.deep.equal([]);
  });

  it('finds the image by digest alone and by repository', async () => {
    await page.goto(url(`images?q=${encodeURIComponent(ATTESTED.split('@')[1] ?? '')}`));
    await page.locator('[data-verified="true"]').waitFor();
    await page.getByLabel('Image').fill('127.0.0.1:5000/team/app:v1');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/q=127\.0\.0\.1/);
    await page.locator('[data-verified="true"]').waitFor();
    expect(await mainText()).to.include('NOT_ATTESTED');
  });

  it('follows a denied decision to its policy', async () => {
    await page.goto(url('decisions'));
    await page.getByLabel('Verdict').selectOption('denied');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/verdict=denied/);
    const row = page.locator('tr', { hasText: UNSIGNED.slice(0, 40) });
    await row.waitFor();
    expect(await page.locator('tbody tr', { hasText: 'allowed' }).count()).to.equal(0);
    await screenshot(page, 'decisions');
    await row.getByRole('link', { name: 'prod-gate' }).click();
    await page.getByRole('heading', { name: 'Policy prod-gate' }).waitFor();
    const text = await mainText();
    expect(text).to.include('c1').and.include(HOSTILE).and.include('CreatePolicy');
    await screenshot(page, 'policy');
    await expectInert();
  });

  it("flags a policy for a namespace its cluster's webhook does not cover", async () => {
    await page.goto(url('policies/edge-gate'));
    await page.getByRole('heading', { name: 'Policy edge-gate' }).waitFor();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.innerText()).to.include('namespace staging is not covered by the admission webhook of cluster edge (OPT_IN)');
    await page.goto(url('policies/prod-gate'));
    await page.getByRole('heading', { name: 'Policy prod-gate' }).waitFor();
    expect(await page.getByRole('alert').count()).to.equal(0);
  });

  it('shows the overview: decisions chart, deny reasons, hook backlog', async () => {
    await page.goto(url(''));
    await page.getByRole('heading', { name: 'Top deny reasons' }).waitFor();
    expect(await page.locator('svg.chart rect').count()).to.be.greaterThan(0);
    const text = await mainText();
    expect(text).to.include('NOT_ATTESTED').and.include('prod');
    await screenshot(page, 'overview');
    expect(await seriousViolations(page)).to.deep.equal([]);
  });

  for (const kind of ['witnesses', 'keys', 'signingRules', 'hookEvents', 'audit']) {
    it(`lists ${kind} with hostile text shown as text`, async () => {
      await page.goto(url(kind));
      await page.locator('main table, main .empty').first().waitFor();
      await screenshot(page, kind);
      await expectInert();
    });
  }

  it('shows the hostile witness description, tag and image as text', async () => {
    await page.goto(url('witnesses/ci'));
    await page.getByRole('heading', { name: 'What changed when' }).waitFor();
    expect(await mainText()).to.include(HOSTILE);
    await page.goto(url('decisions'));
    await page.locator('tbody tr').first().waitFor();
    expect(await mainText()).to.include(HOSTILE);
    await expectInert();
  });

  it('shows the API error message and reads at phone width', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(url('policies/nope'));
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.innerText()).to.match(/nope/);
    await page.goto(url(`images?q=${encodeURIComponent(ATTESTED)}`));
    await page.locator('[data-verified="true"]').waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).to.be.at.most(390);
    await screenshot(page, 'image-phone');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('shows the audit chain status on the overview, and verifies the chain on demand from the audit trail', async () => {
    await page.goto(url(''));
    await page.getByRole('heading', { name: 'Audit chain' }).waitFor();
    const status = page.locator('main .chain');
    await status.waitFor();
    expect(await status.getAttribute('data-intact')).to.equal('true');
    expect(await status.innerText()).to.match(/intact\s+\d+ event\(s\) verified; head at event \d+/);

    await page.goto(url('audit'));
    await page.getByRole('button', { name: 'Verify chain' }).click();
    const result = page.locator('#chain-result .chain');
    await result.waitFor();
    expect(await result.getAttribute('data-intact')).to.equal('true');

    // Tamper with an event behind attestd's back: the same button now says where the chain breaks.
    const db = new pg.Client({ connectionString: server.databaseUrl });
    await db.connect();
    try {
      await db.query(`UPDATE audit_events SET actor = 'mallory' WHERE project_id = $1 AND seq = 2`, [PROJECT]);
      await page.getByRole('button', { name: 'Verify chain' }).click();
      await page.locator('#chain-result .chain[data-intact="false"]').waitFor();
      expect(await page.locator('#chain-result').innerText()).to.match(/broken[\s\S]*Event 2: event 2 was modified/);
      await screenshot(page, 'audit-verify-broken');
      expect(await seriousViolations(page)).to.deep.equal([]);
    } finally {
      await db.query(`UPDATE audit_events SET actor = $2 WHERE project_id = $1 AND seq = 2`, [PROJECT, 'test-admin']);
      await db.end();
    }
    await page.getByRole('button', { name: 'Verify chain' }).click();
    await page.locator('#chain-result .chain[data-intact="true"]').waitFor();
  });

  it('filters decisions by image on the server', async () => {
    await page.goto(url('decisions'));
    await page.getByLabel('Image').fill(UNSIGNED.split('@')[1] ?? '');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/image=sha256/);
    await page.locator('tbody tr').first().waitFor();
    const rows = page.locator('tbody tr');
    expect(await rows.count()).to.equal(1);
    expect(await rows.first().innerText()).to.include(UNSIGNED);
    expect(await mainText()).to.not.include(ATTESTED);
  });

  it('shows a key’s versions, the one that signs marked', async () => {
    const res = await fetch(`${server.baseUrl}/v1/projects/${PROJECT}/keys/release:rotate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status, await res.clone().text()).to.equal(200);
    await page.goto(url('keys/release'));
    await page.getByRole('heading', { name: 'Versions' }).waitFor();
    const rows = page.locator('table:has(caption:text("Key versions")) tbody tr');
    expect(await rows.count()).to.equal(2);
    expect(await rows.nth(0).innerText()).to.match(/^2\s[\s\S]*primary[\s\S]*ni:\/\/\/sha-256;/);
    expect(await rows.nth(1).innerText())
      .to.match(/^1\s/)
      .and.not.include('primary');
    await screenshot(page, 'key');
    expect(await seriousViolations(page)).to.deep.equal([]);
  });

  it('works from the keyboard alone: skip link, navigation, filters and the verify action', async () => {
    await page.goto(url(''));
    await page.getByRole('heading', { name: 'Audit chain' }).waitFor();
    const focused = () =>
      page.evaluate(() => ({ id: document.activeElement?.id ?? '', text: document.activeElement?.textContent?.trim() ?? '' }));
    const tabTo = async (text: string) => {
      for (let i = 0; i < 40; i++) {
        await page.keyboard.press('Tab');
        if ((await focused()).text === text) return;
      }
      throw new Error(`Tab never reached "${text}"`);
    };
    await page.keyboard.press('Tab');
    expect((await focused()).text).to.equal('Skip to content');
    await page.keyboard.press('Enter');
    expect((await focused()).id).to.equal('main');

    await page.locator('body').focus();
    await tabTo('Decisions');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/decisions$/);
    await page.locator('main form.filters').waitFor();
    expect((await focused()).id).to.equal('main');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).to.equal('f-image');
    await page.keyboard.type(UNSIGNED.split('@')[1] ?? '');
    await page.keyboard.press('Enter');
    await page.waitForURL(/image=sha256/);
    await page.locator('tbody tr').first().waitFor();
    expect(await page.locator('tbody tr').count()).to.equal(1);

    await tabTo('Audit trail');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/audit$/);
    await tabTo('Verify chain');
    await page.keyboard.press('Enter');
    await page.locator('#chain-result .chain[data-intact="true"]').waitFor();
  });

  it('made no request elsewhere and logged no script error', () => {
    expect(errors.filter((e) => !/status of 404/.test(e))).to.deep.equal([]);
  });
});
