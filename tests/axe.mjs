// Accessibility check of the web app with axe-core, as a screen-reader or keyboard user would
// meet it: every page given on the command line is opened in headless Chromium at a desktop and
// a phone size, axe-core runs on the rendered DOM, and any violation fails with its rule, its
// help text and the elements it found; a page wider than the window fails too (reflow). Usage: node tests/axe.mjs URL...
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const require = createRequire(path.resolve('tools/node_modules/'));
const { chromium } = require('playwright-core');
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const urls = process.argv.slice(2);
if (urls.length === 0) {
  console.error('usage: node tests/axe.mjs URL...');
  process.exit(2);
}
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu'],
});
let failed = 0;
try {
  for (const url of urls) {
    for (const [w, h] of [[1400, 1000], [390, 844]]) {
      for (const scheme of ['light', 'dark']) {
        const page = await browser.newPage({ viewport: { width: w, height: h }, colorScheme: scheme });
        const errors = [];
        page.on('pageerror', (e) => errors.push(String(e)));
        await page.goto(url);
        // The app renders after the wasm module starts: wait for its header.
        await page.waitForSelector('main, .fatal', { timeout: 20000 });
        await page.waitForTimeout(300);
        await page.addScriptTag({ content: axeSource });
        const result = await page.evaluate(async () =>
          // eslint-disable-next-line no-undef
          await axe.run(document, { resultTypes: ['violations'] }));
        const where = `${url} at ${w}x${h}, ${scheme}`;
        // WCAG 1.4.10 (reflow): the page itself never scrolls sideways; a wide table scrolls
        // inside its own box.
        const widths = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
        // Each chart line has the colour of its legend key (VM exits were once drawn in the
        // hypervisor's colour).
        const colours = await page.evaluate(() => ['walk', 'vm', 'hv', 'tlbc'].map((k) => {
          const line = document.querySelector(`.chart polyline.${k}`);
          const key = document.querySelector(`.chart .legend .key.${k}`);
          return line && key ? [k, getComputedStyle(line).stroke, getComputedStyle(key).backgroundColor] : null;
        }).filter(Boolean));
        for (const [k, line, key] of colours) {
          if (line !== key) {
            failed++;
            console.error(`chart: on ${where} the ${k} line is ${line} but its legend key is ${key}`);
          }
        }
        if (widths[0] > widths[1]) {
          failed++;
          console.error(`reflow: ${where} is ${widths[0]} px wide in a ${widths[1]} px window`);
        }
        if (errors.length) {
          failed++;
          console.error(`axe: page errors on ${where}: ${errors.join('; ')}`);
        }
        for (const v of result.violations) {
          failed++;
          console.error(`axe: ${v.id} (${v.impact}) on ${where}: ${v.help}`);
          for (const n of v.nodes.slice(0, 5)) {
            console.error(`    ${n.target.join(' ')}: ${n.failureSummary.replace(/\n/g, ' ')}`);
          }
        }
        if (!result.violations.length && !errors.length && widths[0] <= widths[1]) {
          console.log(`ok: no axe-core violation and no sideways scrolling on ${where} (axe ${result.testEngine.version})`);
        }
        await page.close();
      }
    }
  }
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
