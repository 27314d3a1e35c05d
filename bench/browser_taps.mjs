// bench/browser_taps.sh's driver: one page of Debian's headless Chromium taps TAPS chests one after another; prints
// the browser's own tap-to-painted-confirmation p50/p95 next to the gateway's server-side
// treasure_claim_duration_seconds for the same taps (the delta of its histogram over the run) as one JSON object.
import { createRequire } from "node:module";

// puppeteer-core as tests/browser pins and installs it (npm ci there).
const puppeteer = createRequire(new URL("../tests/browser/package.json", import.meta.url))("puppeteer-core");

const { GATEWAY_URL, METRICS_URL, CHROMIUM, TAPS = "200" } = process.env;
const taps = Number(TAPS);

async function histogram(name) {
  const text = await (await fetch(METRICS_URL)).text();
  const out = { count: 0, sum: 0, le: {} };
  for (const line of text.split("\n")) {
    const match = line.match(new RegExp(`^${name}_(bucket|count|sum)\\{([^}]*)\\} (\\S+)$`));
    if (!match || !match[2].includes('path="atomic"')) continue;
    const value = Number(match[3]);
    if (match[1] === "bucket") {
      const le = match[2].match(/le="([^"]+)"/)[1];
      out.le[le] = (out.le[le] || 0) + value;
    } else out[match[1]] += value;
  }
  return out;
}
function delta(after, before) {
  const le = {};
  for (const bound of Object.keys(after.le)) le[bound] = after.le[bound] - (before.le[bound] || 0);
  return { count: after.count - before.count, sum: after.sum - before.sum, le };
}
// The bucket bound under which q of the observations fall (the resolution of the histogram), ms.
function bucketQuantile(h, q) {
  const bounds = Object.keys(h.le).filter((b) => b !== "+Inf").map(Number).sort((a, b) => a - b);
  for (const bound of bounds) if (h.le[String(bound)] >= q * h.count) return bound * 1000;
  return Infinity;
}
const rank = (sorted, q) => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)];

const browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
const page = await browser.newPage();
await page.goto(`${GATEWAY_URL}/play#player=1`);
await page.waitForSelector("body[data-ready=true]");
const tapChest = async (chest) => {
  const before = await page.$$eval("#log li", (n) => n.length);
  await page.click(`[data-chest-id="${chest}"]`);
  await page.waitForFunction((n) => document.querySelectorAll("#log li").length > n, {}, before);
};
await tapChest(1);  // warms the page, the connection and the gateway's prepared statement; not counted
await page.evaluate(() => window.treasureClient.flush());
const serverBefore = await histogram("treasure_claim_duration_seconds");
const clientBefore = await histogram("treasure_latency_seconds");
for (let chest = 2; chest < 2 + taps; chest += 1) await tapChest(chest);
await page.evaluate(() => window.treasureClient.flush());
const server = delta(await histogram("treasure_claim_duration_seconds"), serverBefore);
const reported = delta(await histogram("treasure_latency_seconds"), clientBefore);
const own = (await page.evaluate(() => window.treasureClient.history.slice(1))).sort((a, b) => a - b);
await browser.close();
const round = (x) => Math.round(x * 100) / 100;
console.log(JSON.stringify({
  taps,
  browser_tap_to_paint_ms: { p50: round(rank(own, 0.5)), p95: round(rank(own, 0.95)), mean: round(own.reduce((a, b) => a + b, 0) / own.length) },
  gateway_treasure_latency_seconds: { count: reported.count, p50_bucket_ms: bucketQuantile(reported, 0.5), p95_bucket_ms: bucketQuantile(reported, 0.95) },
  gateway_claim_duration_ms: { count: server.count, p50_bucket_ms: bucketQuantile(server, 0.5), p95_bucket_ms: bucketQuantile(server, 0.95), mean: round((server.sum / server.count) * 1000) },
}, null, 2));
