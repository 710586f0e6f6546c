// The outbox: entries made while the network is down wait here (IndexedDB,
// on this device only) with their idempotency keys, and are sent when it
// returns. A send whose answer was lost is safe to repeat: the key makes
// the ledger record it once. An entry the ledger refuses stays, with the
// refusal shown, for the clerk to fix in the form or discard. The token is
// never stored here.

import { $, h } from "./dom.js";

const DATABASE = "ledger-outbox";
const STORE = "entries";
// outboxEntriesMax bounds what one device keeps waiting.
const OUTBOX_ENTRIES_MAX = 500;

function request(idbRequest) {
  return new Promise((resolve, reject) => {
    idbRequest.onsuccess = () => resolve(idbRequest.result);
    idbRequest.onerror = () => reject(idbRequest.error);
  });
}

function openDatabase() {
  const opening = indexedDB.open(DATABASE, 1);
  opening.onupgradeneeded = () => opening.result.createObjectStore(STORE, { keyPath: "key" });
  return request(opening);
}

async function withStore(mode, use) {
  const database = await openDatabase();
  try {
    const transaction = database.transaction(STORE, mode);
    const result = await use(transaction.objectStore(STORE));
    await new Promise((resolve, reject) => {
      transaction.oncomplete = resolve;
      transaction.onerror = () => reject(transaction.error);
    });
    return result;
  } finally {
    database.close();
  }
}

// ENTITY_FIELDS are the fields that hold an entry's own id, by kind.
const ENTITY_FIELDS = ["donation_id", "delivery_id", "session_id", "service_id", "allocation_id"];

// createOutbox is given typeText and regionText, which name an entry's
// kind and county in the page's language, errorText (errors.js), which
// says a refusal in it, and canLoad and onLoad, which say whether the
// entry form holds an entry and put a refused one back into it to be
// fixed (entry.js loadEntry: the form discards it here once it is sent
// again).
export function createOutbox({ t, api, onRecorded, typeText, regionText, errorText, canLoad, onLoad }) {
  let items = [];
  let flushing = false;
  let started = false;

  async function load() {
    items = await withStore("readonly", (store) => request(store.getAll()));
    items.sort((a, b) => a.created - b.created);
    render();
  }

  // queue keeps an entry (the request body, with its idempotency key) to
  // send when the network returns. It is listed from the body, in the
  // language of the page when it is shown.
  async function queue(entry) {
    if (items.length >= OUTBOX_ENTRIES_MAX) throw new Error(t("outboxFull"));
    const item = { key: entry.idempotency_key, body: JSON.stringify(entry), created: Date.now(), refused: null };
    await withStore("readwrite", (store) => request(store.put(item)));
    await load();
  }

  async function discard(key) {
    await withStore("readwrite", (store) => request(store.delete(key)));
    await load();
  }

  // flush sends what waits, oldest first. A network failure stops it (the
  // rest waits for the next "online"); a refusal is kept with its reason.
  async function flush() {
    if (flushing || !navigator.onLine) return;
    flushing = true;
    try {
      await load();
      for (const item of items.filter((entry) => !entry.refused)) {
        try {
          await api("/api/v1/events", { method: "POST", body: item.body });
          await withStore("readwrite", (store) => request(store.delete(item.key)));
          if (onRecorded) onRecorded();
        } catch (err) {
          if (err.status === 0) break;
          // The refusal is kept as the API gave it, codes and all, so it
          // is said in the language of the page when shown.
          item.refused = { code: err.code || "", reason: err.reason || "", message: err.message || String(err),
            violations: err.violations || [] };
          await withStore("readwrite", (store) => request(store.put(item)));
        }
      }
    } finally {
      flushing = false;
      await load();
    }
  }

  // render lists what the outbox holds under a count of both kinds: the
  // entries waiting to be sent and the ones the ledger refused, which
  // stay until they are fixed in the form or discarded.
  function render() {
    const box = $("outbox");
    if (!box) return;
    const waiting = items.filter((item) => !item.refused).length;
    const refused = items.length - waiting;
    box.hidden = items.length === 0;
    box.dataset.waiting = String(waiting);
    box.dataset.refused = String(refused);
    const counts = [];
    if (waiting > 0 || refused === 0) counts.push(t("outboxWaiting", { count: String(waiting) }));
    if (refused > 0) counts.push(t("outboxRefusedCount", { count: String(refused) }));
    $("outbox-count").textContent = counts.join(t("problemSep"));
    // The parts of a line are apart in its text too (what a screen reader
    // reads, and a copy), not only on screen.
    $("outbox-list").replaceChildren(...items.map((item) => h("li", { class: item.refused ? "refused" : "waiting", "data-key": item.key },
      h("span", { class: "what" }, describe(item)), " ",
      h("span", { class: "state" }, item.refused ? t("outboxRefused") : t("outboxPending")),
      item.refused ? [" ", h("span", { class: "why" }, errorText.full(item.refused))] : null,
      item.refused && loadable(item) ? [h("button", { class: "link", type: "button", "data-action": "load",
        onclick: () => loadIntoForm(item) }, t("outboxLoad")), " "] : null,
      item.refused ? h("button", { class: "link", type: "button", "data-action": "discard", onclick: () => discard(item.key) },
        t("outboxDiscard")) : null)));
  }

  // entryOf is the entry an outbox item holds, or null.
  function entryOf(item) {
    try {
      return JSON.parse(item.body);
    } catch (err) {
      return null;
    }
  }

  function loadable(item) {
    return Boolean(onLoad && canLoad && canLoad(entryOf(item)));
  }

  // loadIntoForm puts a refused entry back into the entry form; it stays
  // here until the form sends it again.
  function loadIntoForm(item) {
    const entry = entryOf(item);
    if (entry && onLoad) onLoad(entry, item.key, item.refused);
  }

  // describe names a waiting entry: its kind and county by their names,
  // and its own id (or, for a void, the entry it voids).
  function describe(item) {
    const entry = entryOf(item);
    if (!entry) return item.summary || item.key;
    const data = entry.data || {};
    const own = ENTITY_FIELDS.map((field) => data[field]).find((id) => id) || data.target_event_id || "";
    return [typeText(entry.type), own, regionText(entry.county)].filter((part) => part).join(" · ");
  }

  function start() {
    if (started) return;
    started = true;
    window.addEventListener("online", () => flush());
    load().then(() => flush());
  }

  return { queue, discard, flush, render, start };
}
