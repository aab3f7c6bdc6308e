// "Run on this machine's KVM", as a learner uses it: `pagewalk serve` serves the built app, the
// page opens kvm-read-then-write, the button runs it on /dev/kvm through the server's API, and
// the real counters appear beside the simulated ones and agree. A static copy of the app (no
// server) says why it cannot run KVM. Where /dev/kvm does not open, the button must say so
// and this says loudly that the run was skipped.
// Usage: node tests/kvm_button.mjs PAGEWALK_BINARY DIST_DIR STATIC_URL
import { createRequire } from 'node:module';
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdirSync } from 'node:fs';
import path from 'node:path';

const require = createRequire(path.resolve('tools/node_modules/'));
const { chromium } = require('playwright-core');
const [bin, dist, staticUrl] = process.argv.slice(2);
const fail = (m) => { console.error(`kvm button FAILED: ${m}`); process.exitCode = 1; };

let kvm = true;
try { accessSync('/dev/kvm', constants.R_OK | constants.W_OK); } catch { kvm = false; }

const server = spawn(bin, ['serve', '--port', '0', '--dir', dist], { stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise((resolve, reject) => {
  let out = '';
  server.stdout.on('data', (d) => {
    out += d;
    const m = out.match(/is at (http:\/\/\S+)/);
    if (m) resolve(m[1]);
  });
  server.on('exit', (c) => reject(new Error(`pagewalk serve exited with ${c}`)));
});
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${url}#scenario=kvm-read-then-write&step=0`);
  await page.click('details.kvm > summary');
  const button = page.locator('#kvm-run');
  if (!kvm) {
    await page.waitForFunction(() => document.querySelector('#kvm-why')?.textContent.includes('unavailable'));
    if (await button.isEnabled()) fail('the button is enabled on a host without /dev/kvm');
    console.log('\n*** SKIPPED the KVM run through the page: /dev/kvm does not open here (the button says so) ***\n');
  } else {
    await page.waitForFunction(() => !document.querySelector('#kvm-run').disabled, null, { timeout: 10000 });
    await button.click();
    await page.waitForSelector('#kvm-ran table', { timeout: 60000 });
    const rows = await page.$$eval('#kvm-ran tbody tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
    const pf = rows.find((r) => r[0] === 'pf_fixed');
    if (!pf) fail('no pf_fixed row');
    else if (pf[1] !== '32' || pf[2] !== '32') fail(`pf_fixed simulated ${pf[1]} real ${pf[2]}, not 32 and 32`);
    const bad = rows.filter((r) => r[3] !== '=');
    if (bad.length) fail(`counters disagree: ${JSON.stringify(bad)}`);
    const note = await page.textContent('#kvm-ran');
    if (!note.includes('Not observable')) fail('the result does not say what is not observable');
    mkdirSync('target/e2e', { recursive: true });
    await page.screenshot({ path: 'target/e2e/kvm-run.png', fullPage: true });
    console.log(`ok: the button ran kvm-read-then-write on /dev/kvm: ${rows.length} counters, all agree (pf_fixed 32 = 32); target/e2e/kvm-run.png`);
    // A lesson the KVM runtime cannot run: the reason, in the learner's language (it was once
    // refused as "element 1 has no file").
    const zh = await browser.newPage({ viewport: { width: 390, height: 844 }, locale: 'zh-TW' });
    await zh.goto(`${url}#lang=zh-TW&scenario=page-fault-error-codes&step=0`);
    await zh.click('details.kvm > summary');
    await zh.waitForFunction(() => !document.querySelector('#kvm-run').disabled, null, { timeout: 10000 });
    await zh.click('#kvm-run');
    await zh.waitForFunction(() => (document.querySelector('#kvm-ran')?.textContent ?? '').length > 10, null, { timeout: 60000 });
    const said = await zh.textContent('#kvm-ran');
    if (!said.includes('擷取指令')) fail(`a lesson that cannot run on KVM does not say why in zh-TW: "${said}"`);
    else console.log(`ok: a lesson KVM cannot run says why in zh-TW: "${said.trim().slice(0, 60)}"`);
  }
  // A static copy: no server, no token.
  const stat = await browser.newPage({ viewport: { width: 390, height: 844 } });
  await stat.goto(`${staticUrl}#scenario=kvm-read-then-write&step=0`);
  await stat.click('details.kvm > summary');
  await stat.waitForSelector('#kvm-why');
  const why = await stat.textContent('#kvm-why');
  if (!why.includes('pagewalk serve')) fail(`a static copy does not say how to run KVM: "${why}"`);
  if (await stat.locator('#kvm-run').isEnabled()) fail('the button is enabled in a static copy');
  else console.log('ok: a static copy of the app says the button needs `pagewalk serve`');
  if (errors.length) fail(`page errors: ${errors.join('; ')}`);
} finally {
  await browser.close();
  server.kill();
}
