// The app in Traditional Chinese, as a learner whose browser speaks zh-TW meets it (issue 14's
// "done when"): the start page and three lessons (a native walk, the EPT 24-reference walk,
// VPID) at a desktop and a phone size. Every text on the screen is read; an English word that
// is not a term kept on purpose fails, with the sentence it is in. Screenshots go to
// target/e2e/zh-*.png. Then the language switch goes to English and back, and the step stays.
// Usage: node tests/zh_tw.mjs BASE_URL
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

const require = createRequire(path.resolve('tools/node_modules/'));
const { chromium } = require('playwright-core');

const base = process.argv[2];
if (!base) {
  console.error('usage: node tests/zh_tw.mjs BASE_URL');
  process.exit(2);
}

// Kept in English on purpose (issue 14: "numbers, addresses, register and instruction names
// stay as they are; where a term is usually left in English, leave it"): the SDM's and KVM's
// names, units, the names of languages, tools and files. Compared in lower case.
const KEPT = new Set([
  'pagewalk', 'english', 'hypervisor', 'exit', 'entry', 'violation', 'misconfiguration',
  'spurious', 'unsync', 'flooding', 'linear', 'mapping', 'guest-physical', 'combined',
  'canonical', 'nested', 'page', 'fault', 'qualification', 'swap', 'cache', 'major', 'minor',
  'notifier', 'type', 'dirty', 'accessed', 'stage-2', 'stage', 'flags', 'kib', 'mib', 'gib',
  'memslot', 'memslots', 'hugetlbfs', 'madvise', 'huge', 'translation', 'lookaside', 'buffer',
  'process-context', 'identifier', 'virtual-processor', 'address-space', 'qemu', 'kvm', 'linux',
  'intel', 'amd', 'sdm', 'apm', 'ept', 'npt', 'tlb', 'vpid', 'pcid', 'ksm', 'thp', 'pvm',
  'dev', 'proc', 'meminfo', 'json', 'toml', 'wasm', 'hugetlb', 'ioctl', 'fork', 'vt-x',
]);

// Text nodes a learner sees, minus code, the editor, and what is marked as English on purpose
// (an element with lang="en": the English term beside a Chinese one).
function visibleText() {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || !n.textContent.trim()) continue;
    if (el.closest('code, pre, textarea, script, style, [lang="en"], option[value="en"], .event-flags')) continue;
    const r = el.getBoundingClientRect();
    const st = getComputedStyle(el);
    if (st.visibility === 'hidden' || st.display === 'none' || (r.width === 0 && r.height === 0)) continue;
    if (el.closest('details:not([open])') && !el.closest('summary')) continue;
    out.push(n.textContent.trim());
  }
  // Hovers and labels are read too (a screen reader says them).
  for (const el of document.querySelectorAll('[title], [aria-label]')) {
    if (el.closest('[lang="en"], code, pre')) continue;
    for (const a of ['title', 'aria-label']) {
      const v = el.getAttribute(a);
      if (v && v.trim()) out.push(v.trim());
    }
  }
  return out;
}

// Names of things written in English in Taiwanese KVM and OS texts too: QEMU's objects and
// options, kernel and KVM names of kinds of pages, file and key names.
const KEPT_PHRASES = [
  'long mode', 'huge zero page', 'zero page', 'memory-backend-file', 'memory backend',
  'prealloc=on', 'no-flush', 'shadow page', 'direct page', 'vcpu', 'end', 'pagewalk kvm run',
  'red hat',
];

function english(text) {
  // An English term in parentheses beside its Chinese one is kept on purpose:
  // 記憶體超用（Memory Overcommit）; so are file names (vpid-off.toml) and kept phrases.
  // Quoted section titles of the manuals ("EPT Violations"), code (`exits`) and paths
  // (arch/x86/kvm/vmx/vmx.c) are cited as they are written.
  let t = text
    .replace(/（[\x20-\x7e]*）/g, ' ')
    .replace(/《[\x20-\x7e]*》/g, ' ')
    .replace(/"[\x20-\x7e]*"/g, ' ')
    .replace(/`[^`]*`/g, ' ')
    .replace(/[\x21-\x7e]*\/[\x21-\x7e]*/g, ' ')
    .replace(/\S+\.toml\b/g, ' ');
  for (const p of KEPT_PHRASES) t = t.replace(new RegExp(`(^|[^A-Za-z])${p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}(?![A-Za-z])`, 'gi'), '$1 ');
  return t
    .split(/[^A-Za-z0-9_\-]+/)
    .filter((w) => w.length >= 3 && /[a-z]/.test(w) && !/^0x/.test(w) && !w.includes('_') && !/\d/.test(w) && !w.startsWith('-'))
    // CamelCase names are fields (/proc/meminfo's SwapFree), not prose.
    .filter((w) => !/[a-z][A-Z]/.test(w))
    .filter((w) => !KEPT.has(w.toLowerCase()));
}

// [name, link, keys pressed before reading]: the start page and three lessons, then
// the states and pages a learner reaches from them (a retried walk with its badges, stepping
// through one access's events, the glossary, the host and practice pages, a comparison).
const pages = [
  ['start', '#lang=zh-TW&page=start', []],
  ['native-walk', '#lang=zh-TW&scenario=native-walk-and-tlb-hit&step=2', []],
  ['ept-24', '#lang=zh-TW&scenario=ept-24-references&step=1', []],
  ['vpid', '#lang=zh-TW&scenario=vpid-on&step=60', []],
  ['vpid-retry', '#lang=zh-TW&scenario=vpid-on&step=1', []],
  ['ept-24-events', '#lang=zh-TW&scenario=ept-24-references&step=1', ['ArrowDown', 'ArrowDown', 'ArrowDown']],
  ['glossary', '#lang=zh-TW&page=glossary', []],
  ['host', '#lang=zh-TW&page=host', []],
  ['practice', '#lang=zh-TW&page=practice', []],
  ['compare', '#lang=zh-TW&compare=vpid-off,vpid-on', []],
];

mkdirSync('target/e2e', { recursive: true });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu'],
});
let failed = 0;
try {
  for (const [name, hash, keys] of pages) {
    for (const [w, h, size] of [[1400, 1000, ''], [390, 844, '-phone']]) {
      const ctx = await browser.newContext({ viewport: { width: w, height: h }, locale: 'zh-TW' });
      const page = await ctx.newPage();
      await page.goto(base + hash);
      await page.waitForSelector('main', { timeout: 20000 });
      await page.waitForTimeout(500);
      for (const k of keys) {
        await page.keyboard.press(k);
        await page.waitForTimeout(100);
      }
      const lang = await page.evaluate(() => document.documentElement.lang);
      if (lang !== 'zh-TW') {
        failed++;
        console.error(`${name}${size}: <html lang="${lang}">, not zh-TW`);
      }
      const texts = await page.evaluate(visibleText);
      const bad = [...new Set(texts.filter((t) => english(t).length > 0))];
      for (const t of bad.slice(0, 15)) {
        console.error(`${name}${size}: English ${JSON.stringify(english(t))} in: ${t.slice(0, 200)}`);
      }
      if (bad.length) {
        failed++;
        await page.screenshot({ path: `target/e2e/zh-${name}${size}.png`, fullPage: false });
        await ctx.close();
        continue;
      }
      const cjk = texts.join('').match(/[\u4e00-\u9fff]/g)?.length ?? 0;
      if (cjk < 200) {
        failed++;
        console.error(`${name}${size}: only ${cjk} Chinese characters on the page`);
      }
      await page.screenshot({ path: `target/e2e/zh-${name}${size}.png`, fullPage: false });
      console.log(`ok: ${name}${size}: ${texts.length} texts, ${cjk} Chinese characters, no English UI string; target/e2e/zh-${name}${size}.png`);
      await ctx.close();
    }
  }
  // English and back: the step stays, and so does the language in the link.
  const ctx = await browser.newContext({ viewport: { width: 1400, height: 1000 }, locale: 'zh-TW' });
  const page = await ctx.newPage();
  await page.goto(base + '#lang=zh-TW&scenario=vpid-on&step=60');
  await page.waitForSelector('main');
  await page.selectOption('#lang', 'en');
  await page.waitForTimeout(300);
  const en = await page.evaluate(() => [location.hash, document.documentElement.lang, document.querySelector('.narration')?.textContent ?? '']);
  await page.selectOption('#lang', 'zh-TW');
  await page.waitForTimeout(300);
  const zh = await page.evaluate(() => [location.hash, document.documentElement.lang, document.querySelector('.narration')?.textContent ?? '']);
  if (!en[0].includes('step=60') || !zh[0].includes('step=60') || en[1] !== 'en' || zh[1] !== 'zh-TW'
      || !/[a-z]{4}/.test(en[2]) || !/[\u4e00-\u9fff]/.test(zh[2])) {
    failed++;
    console.error(`switching languages: English ${JSON.stringify(en)}, back ${JSON.stringify(zh)}`);
  } else {
    console.log(`ok: English and back keep step 60 (${en[0]} -> ${zh[0]})`);
  }
  await ctx.close();
} finally {
  await browser.close();
}
if (failed) {
  console.error(`${failed} zh-TW checks failed`);
  process.exit(1);
}
