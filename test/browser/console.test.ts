import fs from 'node:fs';
import { expect } from 'chai';
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

  it('made no request elsewhere and logged no script error', () => {
    expect(errors.filter((e) => !/status of 404/.test(e))).to.deep.equal([]);
  });
});
