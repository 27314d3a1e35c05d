// treasure-client.js: the player's side of POST /v1/claims, for a web game to embed.  No dependencies, no build step.
//
//   import { TreasureClient } from "/web/treasure-client.js";
//   const client = new TreasureClient({ playerId: 42, token: "<JWT>", refreshToken: async () => newJwt });
//   button.onclick = (event) => client.tap(chestId, { tapTime: event.timeStamp, onState, render });
//
// What it guarantees:
//   - one fresh, time-ordered request_id (uuidV7(), uuid-v7.js) per tap, sent as the Idempotency-Key and in the body; every retry
//     of that tap sends the same key, so the gateway pays it at most once and answers a retry "replayed";
//   - a network error, a timeout (timeoutMs per attempt) or a 5xx is retried with full-jitter backoff (a random wait
//     in [0, min(maxDelayMs, baseDelayMs * 2^attempt)]), within deadlineMs of the tap; a 429 or 503 waits at least
//     its Retry-After (or the body's retry_after_ms); a 401 asks refreshToken() once for a new token;
//   - the tap's request_id stays in sessionStorage until an answer settles it, so a reload retries the same key
//     (resumePending());
//   - onState(state, detail) sees pending, then retrying (each retry), then exactly one of confirmed (the 200),
//     refused (an answer that pays nothing: already_claimed, key_required, chest_closed, sold_out, rate_limited,
//     wallet_full, inventory_full, unknown_status, 401/403/4xx) or failed (no answer within the deadline).  Nothing
//     says confirmed before the 200 has arrived;
//   - tap-to-confirmation is measured from the tap's event timestamp to the frame that shows the answer: render()
//     runs, then a requestAnimationFrame callback (before that paint) and a task after it (after the paint);
//   - samples are batched and sent to POST /v1/client-metrics with fetch(..., {keepalive: true}) (sendBeacon cannot
//     carry the Authorization header), at most flushEvery samples or flushMs apart, and when the page is hidden.
// Server strings are data: the client never turns them into HTML (the page renders with textContent).

import { uuidV7 } from "./uuid-v7.js";

const defaults = {
  baseUrl: "",
  deadlineMs: 10000,
  timeoutMs: 3000,
  baseDelayMs: 100,
  maxDelayMs: 2000,
  flushMs: 2000,
  flushEvery: 20,
};

// treasure_latency_seconds' label values (src/lib/latency_histogram.hpp); anything else would be refused.
export const OUTCOMES = Object.freeze([
  "claimed", "replayed", "already_claimed", "key_required", "chest_closed", "sold_out",
  "rate_limited", "wallet_full", "inventory_full", "unknown_status", "failed",
]);
export const MAX_SAMPLES_PER_REPORT = 100;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// The frame that shows what render() drew: rAF runs just before that paint, the task it queues runs after it.
export function afterNextPaint() {
  return new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
}

// Retry-After in ms: the header (seconds or an HTTP date), else the body's retry_after_ms, else 0.
function retryAfterMs(response, body) {
  const header = response.headers.get("Retry-After");
  if (header !== null) {
    const seconds = Number(header);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const date = Date.parse(header);
    if (Number.isFinite(date)) return Math.max(0, date - Date.now());
  }
  const fromBody = body && Number(body.retry_after_ms);
  return Number.isFinite(fromBody) && fromBody > 0 ? fromBody : 0;
}

// What an answer means for the tap: its final state, or that it is worth another attempt.
function classify(http, body) {
  const status = body && typeof body.status === "string" ? body.status : null;
  if (http === 200) return { final: "confirmed", status: "claimed", outcome: body.replayed ? "replayed" : "claimed" };
  if (http === 429 || http === 503 || http >= 500) return { retry: true };
  if (body && body.error === "unknown_status")
    return { final: "refused", status: "unknown_status", outcome: "unknown_status" };
  if (status && OUTCOMES.includes(status)) return { final: "refused", status, outcome: status };
  return { final: "refused", status: (body && body.error) || `http_${http}`, outcome: "failed" };
}

export class TreasureClient {
  // options: playerId (required), token or getToken(), refreshToken() (optional: called on a 401, returns the new
  // token), and any of the defaults above; storage (default sessionStorage), fetch (default globalThis.fetch).
  constructor(options) {
    if (!options || !Number.isSafeInteger(options.playerId) || options.playerId <= 0)
      throw new TypeError("TreasureClient: playerId must be a positive integer");
    const given = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
    this.options = { ...defaults, ...given };
    this.playerId = options.playerId;
    this.token = options.token || null;
    this.storage = options.storage || globalThis.sessionStorage;
    this.fetch = options.fetch || globalThis.fetch.bind(globalThis);
    this.samples = [];
    this.history = [];  // every tap-to-confirmation of this page, ms (for the page's own p50/p95)
    this.flushTimer = null;
    this.pendingKey = `treasure.pending.${this.playerId}`;
    if (typeof document !== "undefined")
      document.addEventListener("visibilitychange", () => {
        if (document.visibilityState === "hidden") this.flush();
      });
  }

  setToken(token) { this.token = token; }

  async currentToken() {
    if (this.options.getToken) this.token = await this.options.getToken();
    return this.token;
  }

  headers(extra) {
    const headers = { "Content-Type": "application/json", ...extra };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    return headers;
  }

  // The taps sent but not settled, as {requestId, chestId}: what resumePending() retries after a reload.
  pending() {
    try {
      return JSON.parse(this.storage.getItem(this.pendingKey) || "[]");
    } catch {
      return [];
    }
  }

  remember(tap) { this.storage.setItem(this.pendingKey, JSON.stringify([...this.pending(), tap])); }

  forget(requestId) {
    const left = this.pending().filter((tap) => tap.requestId !== requestId);
    if (left.length) this.storage.setItem(this.pendingKey, JSON.stringify(left));
    else this.storage.removeItem(this.pendingKey);
  }

  // One tap on a chest.  options: tapTime (the event's timeStamp, performance.now()'s clock; default now),
  // onState(state, detail), render(result) (draws the answer; the measurement waits for its paint), requestId
  // (to resume a pending tap).  Resolves with the result: {state, status, outcome, http, body, path, replayed,
  // awards, requestId, chestId, attempts, tapToConfirmationMs}.
  async tap(chestId, options = {}) {
    const tapTime = options.tapTime ?? performance.now();
    const onState = options.onState || (() => {});
    const requestId = options.requestId || uuidV7();
    const deadline = tapTime + this.options.deadlineMs;
    if (!options.requestId) this.remember({ requestId, chestId });
    onState("pending", { requestId, chestId, attempt: 1 });

    let attempt = 0;
    let refreshed = false;
    let last = { state: "failed", status: "failed", outcome: "failed", http: 0, body: null };
    for (;;) {
      attempt += 1;
      let wait = 0;
      const left = deadline - performance.now();
      if (left <= 0) break;
      try {
        await this.currentToken();
        const response = await this.send(chestId, requestId, Math.min(this.options.timeoutMs, left));
        const body = await response.json().catch(() => null);
        const meaning = classify(response.status, body);
        if (response.status === 401 && !refreshed && this.options.refreshToken) {
          refreshed = true;
          const fresh = await this.options.refreshToken();
          if (fresh) {
            this.token = fresh;
            continue;
          }
        }
        last = { state: meaning.final || "failed", status: meaning.status || (body && (body.status || body.error)),
                 outcome: meaning.outcome || (response.status === 429 ? "rate_limited" : "failed"),
                 http: response.status, body };
        if (!meaning.retry) {
          last.state = meaning.final;
          break;
        }
        wait = retryAfterMs(response, body);
      } catch (error) {
        last = { state: "failed", status: error.name === "AbortError" ? "timeout" : "network_error",
                 outcome: "failed", http: 0, body: null, error: String(error) };
      }
      const backoff = Math.random() * Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** (attempt - 1));
      wait = Math.max(wait, backoff);
      if (performance.now() + wait >= deadline) break;
      onState("retrying", { requestId, chestId, attempt: attempt + 1, after: last.status, waitMs: Math.round(wait) });
      await sleep(wait);
    }
    if (last.state !== "confirmed" && last.state !== "refused") last.state = "failed";
    // Kept when no answer came, or only a 5xx (a commit may be in doubt): a reload retries the same key.  Any
    // other answer (even a 429 past the deadline, which wrote nothing) settles it.
    if (last.state !== "failed" || (last.http > 0 && last.http < 500)) this.forget(requestId);

    const body = last.body || {};
    const result = {
      ...last,
      requestId,
      chestId,
      attempts: attempt,
      path: typeof body.path === "string" ? body.path : "none",
      replayed: body.replayed === true,
      awards: awardsOf(body),
    };
    if (options.render) options.render(result);
    onState(result.state, result);
    await afterNextPaint();
    result.tapToConfirmationMs = performance.now() - tapTime;
    if (!options.requestId) this.record(result);
    return result;
  }

  send(chestId, requestId, timeoutMs) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    return this.fetch(`${this.options.baseUrl}/v1/claims`, {
      method: "POST",
      headers: this.headers({ "Idempotency-Key": requestId }),
      body: JSON.stringify({ player_id: this.playerId, chest_id: chestId, request_id: requestId }),
      signal: controller.signal,
    }).finally(() => clearTimeout(timer));
  }

  // Retries every tap a previous page left unsettled, with its own key; resolves with their results.
  async resumePending(options = {}) {
    const results = [];
    for (const tap of this.pending())
      results.push(await this.tap(tap.chestId, { ...options, requestId: tap.requestId }));
    return results;
  }

  record(result) {
    const ms = result.tapToConfirmationMs;
    if (!(ms > 0) || ms > 60000) return;
    this.history.push(ms);
    const path = ["atomic", "saga"].includes(result.path) ? result.path : "none";
    const outcome = OUTCOMES.includes(result.outcome) ? result.outcome : "failed";
    this.samples.push({ duration_ms: Math.round(ms * 1000) / 1000, path, outcome });
    if (this.samples.length >= this.options.flushEvery) this.flush();
    else if (!this.flushTimer) this.flushTimer = setTimeout(() => this.flush(), this.options.flushMs);
  }

  // Sends the batched samples now (keepalive: the request outlives the page), after any report still in flight.
  // Resolves with the HTTP status of the last report sent: 0 before the first, or when the network failed.
  flush() {
    clearTimeout(this.flushTimer);
    this.flushTimer = null;
    this.flushing = (this.flushing || Promise.resolve()).then(async () => {
      while (this.samples.length) {
        const batch = this.samples.splice(0, MAX_SAMPLES_PER_REPORT);
        try {
          const response = await this.fetch(`${this.options.baseUrl}/v1/client-metrics`, {
            method: "POST", headers: this.headers(), body: JSON.stringify({ samples: batch }), keepalive: true,
          });
          this.lastReportStatus = response.status;
        } catch {
          this.lastReportStatus = 0;
        }
      }
      return this.lastReportStatus || 0;
    });
    return this.flushing;
  }

  // This page's own tap-to-confirmation percentiles, ms (nearest rank); null before the first tap.
  percentiles() {
    if (!this.history.length) return null;
    const sorted = [...this.history].sort((a, b) => a - b);
    const rank = (p) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
    return { count: sorted.length, p50: rank(0.5), p95: rank(0.95) };
  }

  // GET helpers for the page: the chest grid, the player's inventory (and balance).
  async getJson(path) {
    await this.currentToken();
    let response = await this.fetch(`${this.options.baseUrl}${path}`, { headers: this.headers() });
    const fresh = response.status === 401 && this.options.refreshToken ? await this.options.refreshToken() : null;
    if (fresh) {
      this.token = fresh;
      response = await this.fetch(`${this.options.baseUrl}${path}`, { headers: this.headers() });
    }
    const body = await response.json().catch(() => null);
    if (!response.ok) throw Object.assign(new Error(`${path}: HTTP ${response.status}`), { http: response.status, body });
    return body;
  }

  chests(limit = 1000) { return this.getJson(`/v1/chests?limit=${limit}`); }
  inventory() { return this.getJson(`/v1/players/${this.playerId}/inventory`); }
}

// Every item a claim awarded: 1.3.0's "awards" [{item, qty, source}], else 1.2.0's item_awarded/item_qty.
export function awardsOf(body) {
  if (Array.isArray(body.awards))
    return body.awards
      .filter((award) => award && typeof award.item === "string")
      .map((award) => ({ item: award.item, qty: Number(award.qty) || 1, source: String(award.source || "") }));
  if (typeof body.item_awarded === "string")
    return [{ item: body.item_awarded, qty: Number(body.item_qty) || 1, source: "guaranteed" }];
  return [];
}
