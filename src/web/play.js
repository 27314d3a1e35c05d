// The reference page: a grid of chests (GET /v1/chests), the player's balance and inventory
// (GET /v1/players/{id}/inventory), a tap claims a chest through treasure-client.js and shows the answer once it
// has arrived.  The player and the token come from the page's address fragment, which never leaves the browser:
//   /play#player=42&token=<JWT>[&deadline_ms=N][&timeout_ms=N]
// An embedding game may instead set window.treasurePlayer = {playerId, token, refreshToken} before this module
// runs.  Every server string is put in the page with textContent, never parsed as HTML.
import { TreasureClient, awardsOf } from "/web/treasure-client.js";

const $ = (id) => document.getElementById(id);
const fragment = new URLSearchParams(location.hash.slice(1));
const given = window.treasurePlayer || {};
const playerId = Number(given.playerId ?? fragment.get("player") ?? 1);
const client = new TreasureClient({
  playerId,
  token: given.token ?? fragment.get("token") ?? null,
  refreshToken: given.refreshToken ?? (async () => (window.treasureRefreshToken ? window.treasureRefreshToken() : null)),
  deadlineMs: Number(fragment.get("deadline_ms")) || undefined,
  timeoutMs: Number(fragment.get("timeout_ms")) || undefined,
});
window.treasureClient = client;  // for the embedding game and the browser tests
const chestsById = new Map();

function text(tag, value, className) {
  const node = document.createElement(tag);
  node.textContent = String(value);
  if (className) node.className = className;
  return node;
}

function describeAwards(awards) {
  return awards.map((award) => (award.qty > 1 ? `${award.item} ×${award.qty}` : award.item)).join(", ");
}

// The sentence for an answer; every status the gateway answers today and those 1.3.0 adds.
function sentence(result) {
  const chest = `chest #${result.chestId}`;
  const body = result.body || {};
  switch (result.status) {
    case "claimed": {
      const parts = [`+${body.coins_awarded ?? 0} coins`];
      if (result.awards.length) parts.push(describeAwards(result.awards));
      if (body.key_used) parts.push(`used ${body.key_used}`);
      return `Opened ${chest}: ${parts.join(", ")}. Balance ${body.balance ?? "?"}.`;
    }
    case "already_claimed": return `You already opened ${chest}.`;
    case "key_required": {
      const key = chestsById.get(result.chestId)?.key_item;
      return key ? `${chest} needs a ${key}.` : `${chest} needs a key.`;
    }
    case "chest_closed": return `${chest} is closed.`;
    case "sold_out": return `${chest} is sold out.`;
    case "rate_limited": {
      const ms = Number(body.retry_after_ms) || 1000;
      const who = body.decided_by === "database" ? "this game's claim limit" : "too many taps";
      return `Slow down (${who}): try again in ${Math.ceil(ms / 1000)} s.`;
    }
    case "wallet_full": return `Your wallet is full: ${chest} was not opened.`;
    case "inventory_full": return `Your inventory is full: ${chest} was not opened.`;
    case "unknown_status": return `The server answered a status this page does not know: ${body.status ?? "?"}.`;
    case "unauthenticated": return `Sign in again (${body.reason ?? "no valid token"}).`;
    case "forbidden": return `Not allowed (${body.reason ?? "forbidden"}).`;
    case "overloaded":
    case "unavailable": return "The game is busy: the tap was not confirmed. Try again.";
    case "timeout":
    case "network_error": return "No connection: the tap was not confirmed. It is retried when the page reloads.";
    default: return `Not confirmed: ${result.status ?? "error"}${body.message ? ` (${body.message})` : ""}.`;
  }
}

function showState(state, detail) {
  const status = $("status");
  status.dataset.state = state;
  status.dataset.requestId = detail.requestId;
  const button = document.querySelector(`[data-chest-id="${detail.chestId}"]`);
  if (button) button.dataset.state = state;
  if (state === "pending") status.textContent = `Opening chest #${detail.chestId}…`;
  if (state === "retrying")
    status.textContent = `Opening chest #${detail.chestId}… retrying (attempt ${detail.attempt}, after ${detail.after})`;
}

function render(result) {
  const status = $("status");
  status.dataset.state = result.state;
  status.dataset.status = result.status ?? "";
  status.dataset.path = result.path;
  status.dataset.replayed = String(result.replayed);
  status.dataset.attempts = String(result.attempts);
  status.textContent = sentence(result);
  $("status-detail").textContent =
    result.state === "confirmed" ? `confirmed by the ${result.path} path` : result.http ? `HTTP ${result.http}` : "";
  const body = result.body || {};
  if (result.state === "confirmed" && typeof body.balance === "number") $("balance").textContent = String(body.balance);
  if (result.state === "confirmed" || result.status === "already_claimed") {
    const button = document.querySelector(`[data-chest-id="${result.chestId}"]`);
    if (button) button.classList.add("opened");
  }
}

function showLatency(result) {
  const stats = client.percentiles();
  if (stats)
    $("latency").textContent =
      `${stats.count} taps: p50 ${stats.p50.toFixed(0)} ms, p95 ${stats.p95.toFixed(0)} ms (tap to painted answer)`;
  const entry = text("li", `#${result.chestId} ${result.status}: ${result.tapToConfirmationMs.toFixed(0)} ms`);
  entry.dataset.state = result.state;
  $("log").prepend(entry);
}

async function refreshHoldings() {
  try {
    const inventory = await client.inventory();
    $("balance").textContent = String(inventory.balance ?? 0);
    const list = $("inventory");
    list.replaceChildren(...inventory.items.map((item) => text("li", `${item.item} ×${item.qty}`)));
    if (!inventory.items.length) list.replaceChildren(text("li", "nothing yet", "empty"));
  } catch (error) {
    $("inventory").replaceChildren(text("li", `cannot read the inventory (${error.http ?? "network"})`));
  }
}

async function onTap(event) {
  const chestId = Number(event.currentTarget.dataset.chestId);
  const result = await client.tap(chestId, { tapTime: event.timeStamp, onState: showState, render });
  showLatency(result);
  refreshHoldings();
}

function chestButton(chest) {
  chestsById.set(chest.chest_id, chest);
  const button = document.createElement("button");
  button.type = "button";
  button.className = chest.open ? "chest" : "chest closed";
  button.dataset.chestId = String(chest.chest_id);
  button.setAttribute("role", "listitem");
  button.append(text("span", `Chest #${chest.chest_id}`, "name"));
  const awards = awardsOf({ item_awarded: chest.item, item_qty: chest.item_qty });
  button.append(text("span", `${chest.coins} coins${awards.length ? ` + ${describeAwards(awards)}` : ""}`, "what"));
  if (chest.key_item) button.append(text("span", `needs ${chest.key_item}`, "needs"));
  if (!chest.open) button.append(text("span", "closed", "needs"));
  button.addEventListener("click", onTap);
  return button;
}

async function start() {
  $("player-id").textContent = String(playerId);
  try {
    const { chests } = await client.chests();
    $("chests").replaceChildren(...chests.map(chestButton));
  } catch (error) {
    $("chests").replaceChildren(text("p", `cannot read the chests (${error.http ?? "network"})`));
  }
  await refreshHoldings();
  // A tap a previous load of this page sent without an answer: the same key again.
  for (const result of await client.resumePending({ onState: showState, render })) showLatency(result);
  document.body.dataset.ready = "true";
}

start();
