// The outbox: entries made while the network is down wait here (IndexedDB,
// on this device only) with their idempotency keys, and are sent when it
// returns. A send whose answer was lost is safe to repeat: the key makes
// the ledger record it once. An entry the ledger refuses stays, with the
// refusal shown, for the clerk to fix in the form or discard. The token is
// never stored here.
//
// Each entry is kept with its holder: the name (whoami) of the one signed
// in who made it. The ledger records whoever's token sends an entry as its
// actor, so an entry is sent only under its holder's sign-in, as the
// server names it, and listed only to its holder: on a shared computer one
// clerk's waiting entries are never recorded as the next one's, nor shown
// to them. Signing out with entries waiting asks whether to keep them for
// the holder's next sign-in or discard them (app.js). An entry kept before
// holders were recorded has none: whose it is cannot be known, so it is
// never sent by itself, only loaded into the form and sent by the one
// signed in, or discarded.

import { $, h } from "./dom.js";

const DATABASE = "ledger-outbox";
const STORE = "entries";
// outboxEntriesMax bounds what one device keeps waiting.
const OUTBOX_ENTRIES_MAX = 500;
// HOLDER_UNKNOWN is the refusal an entry without a holder is shown with
// (texts.js "error.holder_unknown").
const HOLDER_UNKNOWN = { code: "holder_unknown", reason: "", message: "whose entry this is is not known: load it into the form to send it as yours, or discard it", violations: [] };

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
// says a refusal in it, canLoad and onLoad, which say whether the entry
// form holds an entry and put a refused one back into it to be fixed
// (entry.js loadEntry: the form discards it here once it is sent again),
// and holder, the name of the one signed in ("" for no one).
export function createOutbox({ t, api, onRecorded, typeText, regionText, errorText, canLoad, onLoad, holder }) {
  // items are the entries the one signed in may see: their own, and those
  // kept without a holder.
  let items = [];
  let flushing = false;
  let listening = false;
  // session counts sign-outs: a flush under one sign-in sends nothing
  // once it has ended.
  let session = 0;

  async function readAll() {
    const all = await withStore("readonly", (store) => request(store.getAll()));
    all.sort((a, b) => a.created - b.created);
    return all;
  }

  // shown is an item as the one signed in sees it: one without a holder
  // is held back as refused, with the reason.
  function shown(item) {
    return item.holder ? item : Object.assign({}, item, { refused: item.refused || HOLDER_UNKNOWN });
  }

  async function load() {
    const name = holder();
    const all = await readAll();
    items = name ? all.filter((item) => item.holder === name || !item.holder).map(shown) : [];
    render();
  }

  // queue keeps an entry (the request body, with its idempotency key) to
  // send when the network returns, as the one signed in made it. It is
  // listed from the body, in the language of the page when it is shown.
  async function queue(entry) {
    const name = holder();
    if (!name) throw new Error(t("outboxNoHolder"));
    if ((await readAll()).length >= OUTBOX_ENTRIES_MAX) throw new Error(t("outboxFull"));
    const item = { key: entry.idempotency_key, body: JSON.stringify(entry), created: Date.now(), refused: null, holder: name };
    await withStore("readwrite", (store) => request(store.put(item)));
    await load();
  }

  // discard removes an entry the one signed in sees, and no other.
  async function discard(key) {
    const name = holder();
    await withStore("readwrite", async (store) => {
      const item = await request(store.get(key));
      if (item && name && (item.holder === name || !item.holder)) await request(store.delete(key));
    });
    await load();
  }

  // held counts the entries of the one signed in, waiting or refused:
  // what signing out leaves on this device.
  async function held() {
    const name = holder();
    if (!name) return 0;
    return (await readAll()).filter((item) => item.holder === name).length;
  }

  // discardHeld removes every entry of the one signed in (signing out
  // without keeping them).
  async function discardHeld() {
    const name = holder();
    if (!name) return;
    await withStore("readwrite", async (store) => {
      for (const item of await request(store.getAll())) {
        if (item.holder === name) await request(store.delete(item.key));
      }
    });
    await load();
  }

  // signOut forgets the entries shown and ends the sign-in's flush: what
  // the device keeps waits for its holder's next sign-in.
  function signOut() {
    session += 1;
    items = [];
    render();
  }

  // flush sends what waits of the one signed in, oldest first, as the
  // server names the token's holder (whoami), so an entry is never sent
  // under another's token whatever the page believes. A network failure
  // stops it (the rest waits for the next "online"), as does a token the
  // server no longer takes, or a sign-out; a refusal is kept with its
  // reason.
  async function flush() {
    if (flushing || !navigator.onLine || !holder()) return;
    flushing = true;
    const mine = session;
    try {
      let name;
      try {
        name = ((await api("/api/v1/whoami")).body || {}).name || "";
      } catch (err) {
        return;
      }
      if (!name || mine !== session) return;
      const waiting = (await readAll()).filter((item) => item.holder === name && !item.refused);
      for (const item of waiting) {
        if (mine !== session) break;
        try {
          await api("/api/v1/events", { method: "POST", body: item.body });
          await withStore("readwrite", (store) => request(store.delete(item.key)));
          if (onRecorded) onRecorded();
        } catch (err) {
          // No answer, or a token the server no longer takes (signed out
          // meanwhile, or withdrawn): the entry waits as it is.
          if (err.status === 0 || err.status === 401) break;
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
      // Signed out and in again meanwhile: the new sign-in's entries are
      // sent now, not at the next "online".
      if (mine !== session) flush();
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
      item.refused ? [" ", h("span", { class: "why" }, errorText.full(item.refused, entryOf(item)))] : null,
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

  // start shows and sends the entries of the one who has just signed in;
  // it runs at every sign-in.
  function start() {
    if (!listening) {
      listening = true;
      window.addEventListener("online", () => flush());
    }
    load().then(() => flush());
  }

  return { queue, discard, held, discardHeld, signOut, flush, render, start };
}
