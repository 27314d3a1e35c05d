// The browser scenarios (browser_test.sh starts the gateways): the reference page in headless Chromium, each tap
// checked against the database, the gateway's treasure_latency_seconds read from its /metrics.
import { execFileSync, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import puppeteer from "puppeteer-core";

const env = process.env;
const db = env.DB;
let failures = 0;
const figures = {};

function check(name, ok, detail = "") {
  if (ok) console.log(`ok - ${name}`);
  else {
    failures += 1;
    console.log(`not ok - ${name}${detail ? `: ${detail}` : ""}`);
  }
}
const sql = (query) => execFileSync("psql", ["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", query]).toString().trim();
const token = (player) =>
  execFileSync("build/treasure", ["token", "--key", env.JWT_KEY, "--kid", env.JWT_KID, "--player", String(player)])
    .toString().trim();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// A transaction holding a player's wallet row for ms: a claim of that player waits on it inside the gateway.
function holdWallet(player, ms) {
  const query = `BEGIN; SELECT 1 FROM treasure.wallets WHERE player_id = ${player} FOR UPDATE; ` +
    `SELECT pg_sleep(${ms / 1000}); COMMIT;`;
  const child = spawn("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", query], { stdio: "ignore" });
  return new Promise((resolve) => child.on("exit", resolve));
}
async function waitForLockWaiter(player) {
  for (let i = 0; i < 100; i += 1) {
    if (sql("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()") !== "0")
      return true;
    await sleep(20);
  }
  return false;
}

// treasure_latency_seconds summed over its label sets: {count, sum, le: {bound: cumulative count}}.
async function latencyHistogram(url, filter = () => true) {
  const text = await (await fetch(url)).text();
  const histogram = { count: 0, sum: 0, le: {} };
  for (const line of text.split("\n")) {
    const match = line.match(/^treasure_latency_seconds_(bucket|count|sum)\{([^}]*)\} (\S+)$/);
    if (!match || !filter(match[2])) continue;
    const value = Number(match[3]);
    if (match[1] === "count") histogram.count += value;
    else if (match[1] === "sum") histogram.sum += value;
    else {
      const le = match[2].match(/le="([^"]+)"/)[1];
      histogram.le[le] = (histogram.le[le] || 0) + value;
    }
  }
  return histogram;
}
function delta(after, before) {
  const le = {};
  for (const bound of Object.keys(after.le)) le[bound] = after.le[bound] - (before.le[bound] || 0);
  return { count: after.count - before.count, sum: after.sum - before.sum, le };
}
// The smallest bucket bound holding at least q of the observations (a bucket-resolution quantile), seconds.
function quantileBound(histogram, q) {
  const bounds = Object.keys(histogram.le).filter((b) => b !== "+Inf").map(Number).sort((a, b) => a - b);
  for (const bound of bounds) if (histogram.le[String(bound)] >= q * histogram.count) return bound;
  return Infinity;
}

async function openPage(context, base, player, extra = "") {
  const page = await context.newPage();
  page.on("pageerror", (error) => console.log(`page error (player ${player}): ${error.message}`));
  await page.goto(`${base}/play#player=${player}&token=${token(player)}${extra}`);
  await page.waitForSelector("body[data-ready=true]", { timeout: 10000 });
  return page;
}
const logLength = (page) => page.$$eval("#log li", (items) => items.length);
async function settled(page, before) {
  await page.waitForFunction((n) => document.querySelectorAll("#log li").length > n, { timeout: 20000 }, before);
  return page.$eval("#status", (node) => ({ ...node.dataset, text: node.textContent }));
}
async function tap(page, chest) {
  const before = await logLength(page);
  await page.click(`[data-chest-id="${chest}"]`);
  return settled(page, before);
}
const pageText = (page, selector) => page.$eval(selector, (node) => node.textContent);
const claimsOf = (player, chest) => sql(`SELECT count(*) FROM treasure.claims WHERE player_id = ${player} AND chest_id = ${chest}`);

const browser = await puppeteer.launch({
  executablePath: env.CHROMIUM,
  headless: true,
  args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
}).catch((error) => {
  console.log(`Chromium cannot start (${env.CHROMIUM}): ${error.message}`);
  process.exit(1);
});
console.log(`browser: ${await browser.version()}`);

try {
  // --- 1. taps on each kind of chest, the page against the database --------------------------------------
  const context = await browser.createBrowserContext();
  const page = await openPage(context, env.MAIN_URL, 1);
  check("the grid lists the chests from GET /v1/chests", (await page.$$("#chests .chest")).length === 40);
  const answers = {};
  answers.coins = await tap(page, 1);
  answers.again = await tap(page, 1);
  answers.item = await tap(page, 2);
  answers.locked = await tap(page, 3);
  answers.closed = await tap(page, 4);
  sql("SELECT treasure.grant_item(1, 'golden_key', 1)");
  answers.key = await tap(page, 3);
  check("coins chest: confirmed", answers.coins.state === "confirmed" && answers.coins.status === "claimed", JSON.stringify(answers.coins));
  check("coins chest: the page says +10 coins", answers.coins.text.includes("+10 coins") && answers.coins.text.includes("Balance 10"), answers.coins.text);
  check("second tap: already_claimed shown as such", answers.again.status === "already_claimed" && answers.again.state === "refused" && answers.again.text.includes("already opened"), answers.again.text);
  check("item chest: gem ×2 shown", answers.item.text.includes("gem ×2"), answers.item.text);
  check("key chest without a key: key_required names the key", answers.locked.status === "key_required" && answers.locked.text.includes("golden_key"), answers.locked.text);
  check("closed chest: chest_closed", answers.closed.status === "chest_closed" && answers.closed.text.includes("closed"), answers.closed.text);
  check("key chest with the key: claimed, key used", answers.key.status === "claimed" && answers.key.text.includes("used golden_key"), answers.key.text);
  await page.waitForFunction(() => document.querySelector("#inventory").textContent.includes("crown"));
  const balance = sql("SELECT balance FROM treasure.wallets WHERE player_id = 1");
  check("the balance shown is the database's", (await pageText(page, "#balance")) === balance && balance === "80", `${await pageText(page, "#balance")} vs ${balance}`);
  const items = sql("SELECT string_agg(item || ' ×' || qty, ',' ORDER BY item) FROM treasure.inventories WHERE player_id = 1 AND qty > 0");
  const shown = await page.$$eval("#inventory li", (nodes) => nodes.map((n) => n.textContent).join(","));
  check("the inventory shown is the database's", shown === items, `${shown} vs ${items}`);
  check("one claim per confirmed chest, none for the refused ones",
    sql("SELECT string_agg(chest_id::text, ',' ORDER BY chest_id) FROM treasure.claims WHERE player_id = 1") === "1,2,3");
  // Each tap's request_id is a version 7 UUID whose time is the tap's: the claims sort by request_id as they were made.
  const ids = sql("SELECT string_agg(request_id::text || ' ' || (extract(epoch FROM claimed_at) * 1000)::bigint, ',' ORDER BY claim_id) FROM treasure.claims WHERE player_id = 1").split(",");
  const v7 = ids.map((row) => row.split(" ")).map(([id, claimedMs]) => ({
    id, claimedMs: Number(claimedMs), idMs: parseInt(id.replaceAll("-", "").slice(0, 12), 16),
  }));
  check("request_ids are UUID v7 (version 7, RFC 9562 variant) made at the tap",
    v7.length === 3 && v7.every((k) => /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(k.id) &&
      Math.abs(k.claimedMs - k.idMs) < 60000), JSON.stringify(v7));
  check("request_ids in the order of the taps", v7.every((k, i) => i === 0 || v7[i - 1].idMs <= k.idMs), JSON.stringify(v7));

  // --- 2. the network cut during a tap ---------------------------------------------------------------------
  {
    const cutPage = await openPage(context, env.MAIN_URL, 2, "&timeout_ms=1500");
    sql("SELECT treasure.grant_item(2, 'pebble', 1)");
    const keys = [];
    cutPage.on("request", (request) => {
      if (request.url().endsWith("/v1/claims")) keys.push(request.headers()["idempotency-key"]);
    });
    const cdp = await cutPage.createCDPSession();
    await cdp.send("Network.enable");
    const held = holdWallet(2, 2000);
    await sleep(200);
    const before = await logLength(cutPage);
    await cutPage.click('[data-chest-id="5"]');
    const waiting = await waitForLockWaiter(2);
    await cdp.send("Network.emulateNetworkConditions", { offline: true, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    const pending = await cutPage.$eval("#status", (n) => n.dataset.state);
    await held;
    await sleep(800);
    await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    const answer = await settled(cutPage, before);
    check("network cut: the claim reached the gateway before the cut", waiting);
    check("network cut: not confirmed while offline", pending === "pending" || pending === "retrying", pending);
    check("network cut: retried with the same key", keys.length >= 2 && keys.every((k) => k === keys[0]), JSON.stringify(keys));
    check("network cut: one confirmation, and it says replayed",
      answer.state === "confirmed" && answer.replayed === "true" && (await cutPage.$$("#log li[data-state=confirmed]")).length === 1, JSON.stringify(answer));
    check("network cut: one claim in the database", claimsOf(2, 5) === "1" &&
      sql(`SELECT count(*) FROM treasure.claims WHERE request_id = '${keys[0]}'`) === "1");
    figures.network_cut = { attempts: Number(answer.attempts), requests_sent: keys.length };
    await cutPage.close();
  }

  // --- 2b. no answer before the deadline, then a reload: the pending key from sessionStorage is retried ------
  {
    const reloadPage = await openPage(context, env.MAIN_URL, 6, "&deadline_ms=1500");
    const keys = [];
    await reloadPage.setRequestInterception(true);
    let cut = true;
    reloadPage.on("request", (request) => {
      if (!request.url().endsWith("/v1/claims")) return request.continue();
      keys.push(request.headers()["idempotency-key"]);
      return cut ? request.abort("internetdisconnected") : request.continue();
    });
    const failed = await tap(reloadPage, 11);
    const pending = await reloadPage.evaluate(() => sessionStorage.getItem("treasure.pending.6"));
    const claimsBeforeReload = claimsOf(6, 11);
    cut = false;
    await reloadPage.reload();
    await reloadPage.waitForSelector("body[data-ready=true]");
    const resumed = await reloadPage.$eval("#status", (node) => ({ ...node.dataset, text: node.textContent }));
    check("reload: without an answer the tap fails, never confirmed", failed.state === "failed" && claimsBeforeReload === "0", JSON.stringify(failed));
    check("reload: the pending key is kept in sessionStorage", pending !== null && pending.includes(failed.requestId), String(pending));
    check("reload: the reloaded page retries that key and confirms it", resumed.state === "confirmed" &&
      resumed.requestId === failed.requestId && keys.every((k) => k === failed.requestId), JSON.stringify({ resumed, keys }));
    check("reload: one claim in the database, with that key", claimsOf(6, 11) === "1" &&
      sql(`SELECT count(*) FROM treasure.claims WHERE request_id = '${failed.requestId}'`) === "1");
    check("reload: the key is settled", (await reloadPage.evaluate(() => sessionStorage.getItem("treasure.pending.6"))) === null);
    await reloadPage.close();
  }

  // --- 3. 300 ms added latency for one context, none for another ------------------------------------------
  {
    const slowContext = await browser.createBrowserContext();
    const fastContext = await browser.createBrowserContext();
    const slow = await openPage(slowContext, env.MAIN_URL, 20);
    const fast = await openPage(fastContext, env.MAIN_URL, 21);
    const cdp = await slow.createCDPSession();
    await cdp.send("Network.enable");
    await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 300, downloadThroughput: -1, uploadThroughput: -1 });
    const flush = (p) => p.evaluate(() => window.treasureClient.flush());
    const taps = 20;
    // One tap first, outside the figures: the page's first claim also warms its connection and the JIT.
    const phase = async (p) => {
      await tap(p, 9);
      await flush(p);
      const before = await latencyHistogram(env.MAIN_METRICS);
      for (let chest = 10; chest < 10 + taps; chest += 1) await tap(p, chest);
      const reported = await flush(p);
      const after = await latencyHistogram(env.MAIN_METRICS);
      const own = await p.evaluate(() => window.treasureClient.history.slice(1));
      return { reported, histogram: delta(after, before), own };
    };
    const slowRun = await phase(slow);
    const fastRun = await phase(fast);
    const serverSide = await (await fetch(env.MAIN_METRICS)).text();
    check("latency: both contexts' reports were accepted", slowRun.reported === 200 && fastRun.reported === 200);
    check("latency: the gateway got every tap of each context", slowRun.histogram.count === taps && fastRun.histogram.count === taps,
      `${slowRun.histogram.count}, ${fastRun.histogram.count}`);
    check("latency: the slow context's taps are all >= 300 ms in the page", slowRun.own.every((ms) => ms >= 300), JSON.stringify(slowRun.own));
    check("latency: the gateway's histogram has none of the slow taps under 200 ms and their mean >= 300 ms",
      slowRun.histogram.le["0.2"] === 0 && slowRun.histogram.sum / taps >= 0.3, JSON.stringify(slowRun.histogram));
    const fastP95 = quantileBound(fastRun.histogram, 0.95);
    check("latency: the other context's p95 is under 100 ms in the gateway's histogram", fastP95 <= 0.1, `p95 bucket ${fastP95}`);
    const sorted = (xs) => [...xs].sort((a, b) => a - b);
    const rank = (xs, q) => sorted(xs)[Math.ceil(q * xs.length) - 1];
    figures.latency = {
      slow_context_ms: { p50: rank(slowRun.own, 0.5), p95: rank(slowRun.own, 0.95), min: Math.min(...slowRun.own) },
      fast_context_ms: { p50: rank(fastRun.own, 0.5), p95: rank(fastRun.own, 0.95), max: Math.max(...fastRun.own) },
      gateway_slow: { count: slowRun.histogram.count, mean_s: slowRun.histogram.sum / taps, le_0_2: slowRun.histogram.le["0.2"], le_0_5: slowRun.histogram.le["0.5"] },
      gateway_fast: { count: fastRun.histogram.count, mean_s: fastRun.histogram.sum / taps, le_0_1: fastRun.histogram.le["0.1"], p95_bucket_s: fastP95 },
      server_side_claim_duration_present: serverSide.includes("treasure_claim_duration_seconds_bucket"),
    };
    await slowContext.close();
    await fastContext.close();
  }

  // --- 4. a 503 (load shedding), the retry, the confirmation paid once -------------------------------------
  {
    sql("SELECT treasure.grant_item(4, 'pebble', 1)");
    const shedPage = await openPage(context, env.SHED_URL, 3);
    const held = holdWallet(4, 1500);
    await sleep(200);
    // Player 4's claim takes the gateway's only worker and waits on the lock.
    const blocker = fetch(`${env.SHED_URL}/v1/claims`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token(4)}`, "Content-Type": "application/json" },
      body: JSON.stringify({ chest_id: 6, request_id: crypto.randomUUID() }),
    });
    await waitForLockWaiter(4);
    const states = [];
    await shedPage.exposeFunction("noteState", (state) => states.push(state));
    await shedPage.evaluate(() => new MutationObserver(() => window.noteState(document.querySelector("#status").dataset.state))
      .observe(document.querySelector("#status"), { attributes: true, attributeFilter: ["data-state"] }));
    const answer = await tap(shedPage, 6);
    await held;
    const blocked = await blocker;
    check("503: the page showed the retry", states.includes("retrying"), JSON.stringify(states));
    check("503: then the confirmation", answer.state === "confirmed" && answer.status === "claimed", JSON.stringify(answer));
    check("503: paid once", claimsOf(3, 6) === "1" && sql("SELECT balance FROM treasure.wallets WHERE player_id = 3") === "6");
    check("503: the shed claim is counted as overloaded", (await (await fetch(env.SHED_METRICS)).text())
      .match(/treasure_claims_total\{path="none",status="overloaded"\} [1-9]/) !== null);
    check("503: the blocking claim went through", blocked.status === 200);
    await shedPage.close();
  }

  // --- 5. the flag flipped to the saga path mid-session ------------------------------------------------------
  {
    const sagaPage = await openPage(context, env.MAIN_URL, 5);
    const first = await tap(sagaPage, 7);
    writeFileSync(`${env.FLAGS_FILE}.new`, '{"flags": {"atomic_claims": {"rule": "off"}}}\n');
    execFileSync("mv", [`${env.FLAGS_FILE}.new`, env.FLAGS_FILE]);
    await sleep(1500);
    const second = await tap(sagaPage, 8);
    check("flag flip: the first tap on the atomic path", first.state === "confirmed" && first.path === "atomic", JSON.stringify(first));
    check("flag flip: after the flip the confirmation says saga", second.state === "confirmed" && second.path === "saga" &&
      (await pageText(sagaPage, "#status-detail")).includes("saga"), JSON.stringify(second));
    check("flag flip: both paid once", claimsOf(5, 7) === "1" && claimsOf(5, 8) === "1" &&
      sql("SELECT balance FROM treasure.wallets WHERE player_id = 5") === "15");
    writeFileSync(`${env.FLAGS_FILE}.new`, '{"flags": {"atomic_claims": {"rule": "on"}}}\n');
    execFileSync("mv", [`${env.FLAGS_FILE}.new`, env.FLAGS_FILE]);
    await sagaPage.close();
  }

  // --- 6. a hostile client posting garbage to /v1/client-metrics --------------------------------------------
  {
    const hostile = token(30);
    const before = (await (await fetch(env.MAIN_METRICS)).text()).split("\n").filter((l) => l.startsWith("treasure_latency_seconds")).join("\n");
    const sample = { duration_ms: 12, path: "atomic", outcome: "claimed" };
    const garbage = [
      "not json", "[]", "{}", '{"samples": "x"}', '{"samples": []}',
      JSON.stringify({ samples: Array(101).fill(sample) }),
      JSON.stringify({ samples: [{ ...sample, duration_ms: 0 }] }),
      JSON.stringify({ samples: [{ ...sample, duration_ms: -5 }] }),
      JSON.stringify({ samples: [{ ...sample, duration_ms: 60001 }] }),
      JSON.stringify({ samples: [{ ...sample, duration_ms: "12" }] }),
      JSON.stringify({ samples: [{ ...sample, path: "evil" }] }),
      JSON.stringify({ samples: [{ ...sample, outcome: "x".repeat(200) }] }),
      JSON.stringify({ samples: [{ ...sample, extra: 1 }] }),
      JSON.stringify({ samples: [sample, { ...sample, outcome: "pwned" }] }),  // one bad sample spoils the report
      JSON.stringify({ samples: [sample], player_id: 1 }),
      '{"samples": [{"duration_ms": 1e400, "path": "atomic", "outcome": "claimed"}]}',
    ];
    const statuses = [];
    for (const body of garbage)
      statuses.push((await fetch(`${env.MAIN_URL}/v1/client-metrics`, {
        method: "POST", headers: { Authorization: `Bearer ${hostile}`, "Content-Type": "application/json" }, body,
      })).status);
    const unauthenticated = (await fetch(`${env.MAIN_URL}/v1/client-metrics`, { method: "POST", body: JSON.stringify({ samples: [sample] }) })).status;
    const huge = (await fetch(`${env.MAIN_URL}/v1/client-metrics`, {
      method: "POST", headers: { Authorization: `Bearer ${hostile}` }, body: "x".repeat(64 * 1024),
    }).catch(() => ({ status: 413 }))).status;
    const after = (await (await fetch(env.MAIN_METRICS)).text()).split("\n").filter((l) => l.startsWith("treasure_latency_seconds")).join("\n");
    check("hostile: every garbage report is 400", statuses.every((s) => s === 400), JSON.stringify(statuses));
    check("hostile: no token is 401", unauthenticated === 401, String(unauthenticated));
    check("hostile: a body over the limit is 413", huge === 413, String(huge));
    check("hostile: treasure_latency_seconds did not change", before === after && before.length > 0);
  }

  // --- 7. statuses the database cannot give yet (1.3.0): rendered by their documented shape ----------------
  // The answers are the gateway's documented bodies (sql/CONTRACT-1.3.0.md), served by the browser itself; what is
  // checked is the page's rendering, including that a server string is text, never HTML.
  {
    const shapes = {
      41: [410, { status: "sold_out", replayed: false, claim_id: null, coins_awarded: 0, balance: 3, path: "atomic", awards: [] }, "sold out"],
      42: [429, { error: "rate_limited", status: "rate_limited", decided_by: "database", retry_after_ms: 60000, path: "atomic", awards: [] }, "claim limit"],
      43: [422, { status: "wallet_full", replayed: false, coins_awarded: 0, path: "atomic", awards: [] }, "wallet is full"],
      44: [422, { status: "inventory_full", replayed: false, coins_awarded: 0, path: "atomic", awards: [] }, "inventory is full"],
      45: [422, { error: "unknown_status", status: "<img src=x onerror=alert(1)>" }, "<img src=x onerror=alert(1)>"],
      46: [200, { status: "claimed", replayed: false, claim_id: 9, coins_awarded: 40, item_awarded: "gem", item_qty: 2, key_used: null, balance: 140, path: "atomic",
        awards: [{ item: "gem", qty: 2, source: "guaranteed" }, { item: "<b>crown</b>", qty: 1, source: "loot" }] }, "gem ×2, <b>crown</b>"],
      47: [401, { error: "unauthenticated", reason: "expired" }, "Sign in again (expired)"],
      48: [403, { error: "forbidden", reason: "player_mismatch" }, "Not allowed (player_mismatch)"],
    };
    const shapePage = await context.newPage();
    await shapePage.setRequestInterception(true);
    shapePage.on("request", (request) => {
      if (request.url().includes("/v1/chests"))
        return request.respond({ status: 200, contentType: "application/json",
          body: JSON.stringify({ chests: Object.keys(shapes).map((id) => ({ chest_id: Number(id), coins: 1, item: null, item_qty: 1, key_item: null, open: true })) }) });
      if (request.url().endsWith("/v1/claims")) {
        const [status, body] = shapes[JSON.parse(request.postData()).chest_id];
        return request.respond({ status, contentType: "application/json", body: JSON.stringify(body), headers: status === 429 ? { "Retry-After": "60" } : {} });
      }
      return request.continue();
    });
    await shapePage.goto(`${env.MAIN_URL}/play#player=1&token=${token(1)}`);
    await shapePage.waitForSelector("body[data-ready=true]");
    for (const [chest, [http, body, expected]] of Object.entries(shapes)) {
      const answer = await tap(shapePage, chest);
      check(`1.3.0 shape: HTTP ${http} ${body.status || body.error} rendered`, answer.text.includes(expected), answer.text);
    }
    check("1.3.0 shape: server strings never became elements", (await shapePage.$$("#status *, #log img, #log b")).length === 0);
    await shapePage.close();
  }

  await page.bringToFront();
  await page.screenshot({ path: `${env.RESULTS}/page.png`, fullPage: true });
  await context.close();
} catch (error) {
  failures += 1;
  console.log(`not ok - the scenarios stopped: ${error.stack}`);
} finally {
  await browser.close();
}
writeFileSync(`${env.RESULTS}/figures.json`, JSON.stringify(figures, null, 2) + "\n");
console.log(`figures: ${JSON.stringify(figures)}`);
console.log(failures ? `${failures} checks failed` : "all checks passed");
process.exit(failures ? 1 : 0);
