// Dashboard of the union welfare activity ledger.
//
// Plain JavaScript, no libraries, no build step; it runs under the page's
// Content-Security-Policy (script-src 'self', style-src 'self'), so nothing
// here writes inline scripts or style attributes into markup.
//
// It is ES modules, loaded by the browser as they are: texts.js (the words,
// in Chinese and English), dom.js (building elements), format.js (money in
// fen, Beijing times), api.js (the API client), errors.js (the API's
// refusals in the page's language), totals.js (the county table, chart,
// map and campaigns), entry.js (the entry form and voids), finance.js
// (the finance page), live.js (the live stream and the feed), trends.js
// (the month-by-month chart and the printable report's link), and this
// file: session, language, audit and views.
//
// Security rule of these files: text that comes from the API (names,
// summaries, actors, venues, reasons, messages) is only ever inserted with
// textContent or text nodes (dom.js's h()). Nothing here uses innerHTML.
"use strict";

import { TEXT } from "./texts.js";
import { $, h } from "./dom.js";
import { formatTime } from "./format.js";
import { apiClient } from "./api.js";
import { createErrorText } from "./errors.js";
import { createEntry } from "./entry.js";
import { createTotals } from "./totals.js";
import { createFinance, newFinanceState } from "./finance.js";
import { createLive } from "./live.js";
import { createSheets } from "./sheets.js";
import { createOutbox } from "./outbox.js";
import { createTrends } from "./trends.js";

(function () {
  const TOKEN_KEY = "ledger.token";
  // The last identity and catalog, kept so the dashboard opens offline;
  // neither is secret (the token is kept as before, under TOKEN_KEY).
  const WHO_KEY = "ledger.who";
  const CATALOG_KEY = "ledger.catalog";
  const LANG_KEY = "ledger.lang";
  const FEED_MAX = 50;
  const REPLAY_ENTRIES = 30;
  // Campaign figures come from one totals request per campaign, so they are
  // fetched only for campaigns whose entries arrived, at most this often.
  const CAMPAIGN_REFRESH_MS = 500;
  const RECONNECT_MS = 3000;

  // ---------------------------------------------------------------- texts


  // Schematic positions of the Ordos counties on a 3 × 3 grid, roughly as
  // they lie on the map (north up). Regions are data: a code missing here
  // is placed after these in catalog order.
  const MAP_LAYOUT = {
    "150625": [1, 1], // 杭锦旗 Hanggin, north-west
    "150621": [1, 2], // 达拉特旗 Dalad, north
    "150622": [1, 3], // 准格尔旗 Jungar, east
    "150624": [2, 1], // 鄂托克旗 Otog, west
    "150603": [2, 2], // 康巴什区 Kangbashi, centre
    "150602": [2, 3], // 东胜区 Dongsheng, centre-east
    "150623": [3, 1], // 鄂托克前旗 Otog Front, south-west
    "150626": [3, 2], // 乌审旗 Uxin, south
    "150627": [3, 3], // 伊金霍洛旗 Ejin Horo, south-east
  };

  const TRAINING_FORMATS = [["online", "formatOnline"], ["offline", "formatOffline"], ["both", "formatBoth"]];
  const SERVICE_KINDS = ["health-checkup", "legal-consultation", "visit", "station-opened", "assistance"];
  const RECORDING_ROLES = ["clerk", "admin"];
  // The roles that void an entry from its audit trail: the clerks and
  // admins, and finance, which voids the entries of a month it has closed.
  const VOIDING_ROLES = ["clerk", "finance", "admin"];
  // The roles that may change a month finance has closed (closed_period):
  // the server refuses it from any other.
  const CLOSED_PERIOD_ROLES = ["finance", "admin"];
  const INSPECTING_ROLES = ["clerk", "finance", "auditor", "admin"];
  // The finance page: finance and auditors read it, finance decides.
  const FINANCE_ROLES = ["finance", "auditor", "admin"];
  // The access log of personal data is for auditors and admins.
  const ACCESS_ROLES = ["auditor", "admin"];
  const DECIDING_ROLES = ["finance", "admin"];
  const PLEDGE_BUCKETS = ["0-30", "31-90", "90+"];
  // The reconciliation is rebuilt from the whole log, so live changes
  // reload it at most this often.
  const FINANCE_REFRESH_MS = 1000;

  const state = {
    token: "",
    lang: "zh",
    role: "",
    name: "",
    catalog: null,
    regions: new Map(),
    labels: { campaigns: new Map(), groups: new Map(), items: new Map(), sites: new Map(), topics: new Map() },
    totals: null,
    position: 0,
    campaignFigures: new Map(),
    feed: [],
    seen: new Set(),
    source: null,
    reconnectTimer: 0,
    campaignTimer: 0,
    dirtyCampaigns: new Set(),
    checkCampaigns: false,
    loadedPosition: 0,
    idempotencyKey: "",
    audit: null,
    // The entry of the audit trail being voided (its reason and time as
    // typed, its idempotency key), and what became of the last void.
    voiding: null,
    voidOutcome: null,
    entryOutcome: null,
    violations: [],
    // The key of the refused outbox entry the form was loaded with, which
    // the form's entry replaces once it is sent (entry.js loadEntry).
    loadedFromOutbox: null,
    view: "overview",
    fin: newFinanceState(),
  };


  function t(key, vars) {
    let text = TEXT[state.lang][key];
    if (text === undefined) text = TEXT.zh[key];
    if (text === undefined) return key;
    if (vars) {
      for (const [name, value] of Object.entries(vars)) text = text.split("{" + name + "}").join(String(value));
    }
    return text;
  }

  // has says whether the page's language has its own words for key: t
  // falls back to the Chinese, where a refusal in English is said in the
  // API's words instead (errors.js).
  function has(key) {
    return TEXT[state.lang][key] !== undefined;
  }


  // ---------------------------------------------------------------- labels

  function regionLabel(code) {
    const region = state.regions.get(code);
    if (!region) return { primary: code || "—", secondary: "" };
    return state.lang === "zh" ? { primary: region.zh, secondary: region.pinyin } : { primary: region.pinyin, secondary: region.zh };
  }

  function regionText(code) {
    const label = regionLabel(code);
    return label.secondary ? label.primary + " (" + label.secondary + ")" : label.primary;
  }

  function labelText(map, code) {
    const label = map.get(code);
    if (!label) return code || "—";
    return (state.lang === "zh" ? label.zh : label.en) || label.zh || code;
  }

  function typeText(type) {
    const key = "type." + type;
    const text = t(key);
    return text === key ? type : text;
  }

  // ---------------------------------------------------------------- API

  // api calls the API with the signed-in token (api.js).
  const api = apiClient(() => state.token, () => t("networkError"));

  // The API's refusals in the page's language (errors.js).
  const errorText = createErrorText({ t, has, regionText, campaignText: (code) => labelText(state.labels.campaigns, code) });

  // The campaign dashboard's figures (totals.js).
  const totalsView = createTotals({ state, t, api, labelText, regionLabel, counties, MAP_LAYOUT, SERVICE_KINDS, TRAINING_FORMATS,
    CAMPAIGN_REFRESH_MS });

  // The outbox of entries made offline (outbox.js), and the entry form
  // (entry.js) that fills it.
  // A refused entry of the outbox is loaded back into the form to be fixed.
  // The outbox keeps each entry as the one signed in made it (state.name,
  // whoami's name), and sends and shows it under their sign-in only.
  const outbox = createOutbox({ t, api, typeText, regionText, errorText, holder: () => (state.token ? state.name : ""),
    canLoad: (entry) => entryForm.canLoad(entry), onLoad: (entry, key, refusal) => entryForm.loadEntry(entry, key, refusal) });
  const entryForm = createEntry({ state, t, api, fillItemSelect, outbox, errorText, typeText, renderAudit, lookupAudit,
    recordingRoles: RECORDING_ROLES, voidingRoles: VOIDING_ROLES, closedPeriodRoles: CLOSED_PERIOD_ROLES });

  // The finance page (finance.js).
  const financePage = createFinance({ state, t, api, labelText, regionLabel, errorText, FINANCE_ROLES, DECIDING_ROLES, PLEDGE_BUCKETS,
    FINANCE_REFRESH_MS });

  // The spreadsheet import (sheets.js).
  const sheets = createSheets({ state, t, api, errorText, token: () => state.token });

  // The month-by-month chart and the report link (trends.js).
  const trends = createTrends({ state, t, token: () => state.token, labelText, regionText });

  // The live stream and the feed (live.js). Functions declared further
  // down are hoisted, so they can be handed over here.
  const { renderLiveStatus, startLive, stopLive, renderFeed } = createLive({ state, t, api, typeText, regionText, labelText,
    lookupAudit, forgetToken, showLogin, totalsView, financePage, trends, INSPECTING_ROLES, FEED_MAX, RECONNECT_MS });

  // ---------------------------------------------------------------- language

  function applyLanguage() {
    document.documentElement.lang = state.lang === "zh" ? "zh-CN" : "en";
    document.title = t("title");
    for (const node of document.querySelectorAll("[data-i18n]")) {
      node.textContent = t(node.dataset.i18n);
    }
    for (const node of document.querySelectorAll("[data-i18n-placeholder]")) {
      node.setAttribute("placeholder", t(node.dataset.i18nPlaceholder));
    }
    for (const node of document.querySelectorAll("[data-i18n-label]")) {
      node.setAttribute("aria-label", t(node.dataset.i18nLabel));
    }
    const toggle = $("lang-toggle");
    toggle.textContent = t("switchLang");
    toggle.setAttribute("lang", state.lang === "zh" ? "en" : "zh-CN");
    renderRole();
    renderLiveStatus();
    if (state.catalog) {
      fillSelects();
      totalsView.buildCountyTable();
      totalsView.buildCountyChart();
      totalsView.buildMap();
      totalsView.renderTotals();
      totalsView.renderCampaigns();
      trends.relabel();
      renderFeed();
      renderAudit();
      entryForm.readItemLines();
      entryForm.renderItemLines();
      entryForm.renderEntryOutcome();
    }
    financePage.renderFinance();
    sheets.renderSheet();
    outbox.render();
  }

  function setLanguage(lang) {
    state.lang = lang === "en" ? "en" : "zh";
    try {
      localStorage.setItem(LANG_KEY, state.lang);
    } catch (err) {
      // private mode: the choice lasts for this page only
    }
    applyLanguage();
    if (state.view === "access") loadAccessLog();
  }

  // ---------------------------------------------------------------- session

  function readToken() {
    const params = new URLSearchParams(window.location.search);
    const fromURL = params.get("token");
    if (fromURL !== null) {
      if (fromURL.trim() !== "") saveToken(fromURL.trim());
      params.delete("token");
      const query = params.toString();
      history.replaceState(null, "", window.location.pathname + (query ? "?" + query : "") + window.location.hash);
    }
    try {
      return localStorage.getItem(TOKEN_KEY) || "";
    } catch (err) {
      return state.token;
    }
  }

  function saveToken(token) {
    state.token = token;
    try {
      // The identity kept for opening offline is the previous token's: a
      // new token is not opened offline as someone else, whose outbox it
      // would fill.
      if (localStorage.getItem(TOKEN_KEY) !== token) localStorage.removeItem(WHO_KEY);
      localStorage.setItem(TOKEN_KEY, token);
    } catch (err) {
      // kept in memory only
    }
  }

  function forgetToken() {
    state.token = "";
    try {
      localStorage.removeItem(TOKEN_KEY);
      localStorage.removeItem(WHO_KEY);
    } catch (err) {
      // nothing stored
    }
  }

  function showLogin(message) {
    stopLive();
    // The outbox shows, and sends, nothing until the next sign-in; what it
    // keeps is its holders', and the form forgets what was typed in it.
    outbox.signOut();
    if (state.catalog) entryForm.resetEntryForm();
    financePage.resetFinance();
    $("dashboard").hidden = true;
    $("finance-page").hidden = true;
    $("view-tabs").hidden = true;
    $("login").hidden = false;
    $("whoami").hidden = true;
    $("sign-out").hidden = true;
    const error = $("login-error");
    error.hidden = !message;
    error.textContent = message || "";
    $("token-input").value = "";
    $("token-input").focus();
  }

  function renderRole() {
    if (!state.role) return;
    const key = "role." + state.role;
    const label = t(key) === key ? state.role : t(key);
    $("role").textContent = label + (state.name ? " · " + state.name : "");
  }

  function remember(key, value) {
    try {
      localStorage.setItem(key, JSON.stringify(value));
    } catch (err) {
      // Storage full or refused: the dashboard still works online.
    }
  }

  function recall(key) {
    try {
      return JSON.parse(localStorage.getItem(key) || "null");
    } catch (err) {
      return null;
    }
  }

  async function start() {
    state.token = readToken();
    if (!state.token) {
      showLogin("");
      return;
    }
    let who;
    try {
      who = (await api("/api/v1/whoami")).body;
      remember(WHO_KEY, { role: who.role, name: who.name });
    } catch (err) {
      if (err.status === 401) {
        forgetToken();
        showLogin(t("tokenInvalid"));
        return;
      }
      // Offline, the dashboard opens as the one who signed in last on
      // this device, so the entry form can fill the outbox.
      who = err.status === 0 ? recall(WHO_KEY) : null;
      if (!who) {
        showLogin(err.message);
        return;
      }
    }
    // A new sign-in starts from nothing: another token may see less.
    state.role = who.role || "";
    state.name = who.name || "";
    state.feed = [];
    state.seen.clear();
    state.totals = null;
    state.position = 0;
    state.loadedPosition = 0;
    state.audit = null;
    state.voiding = null;
    state.voidOutcome = null;
    state.campaignFigures.clear();
    state.dirtyCampaigns.clear();
    renderFeed();
    renderAudit();
    financePage.resetFinance();
    $("login").hidden = true;
    $("view-tabs").hidden = !FINANCE_ROLES.includes(state.role);
    $("tab-access").hidden = !ACCESS_ROLES.includes(state.role);
    showView(viewOfHash(), true);
    $("whoami").hidden = false;
    $("sign-out").hidden = false;
    renderRole();
    // A public screen's viewer token sees the figures and the feed only: the
    // API would refuse it audit trails and recording anyway.
    const canRecord = RECORDING_ROLES.includes(state.role);
    $("entry-card").hidden = !canRecord;
    $("sheet-card").hidden = !canRecord;
    $("feed-card").classList.toggle("wide", !canRecord);
    $("audit-card").hidden = !INSPECTING_ROLES.includes(state.role);

    if (canRecord) outbox.start();

    try {
      const catalog = (await api("/api/v1/catalog")).body;
      remember(CATALOG_KEY, catalog);
      loadCatalog(catalog);
      if (state.view === "finance") financePage.renderFinance();
      const totals = (await api("/api/v1/totals")).body;
      totalsView.applyTotals(totals);
      $("load-error").hidden = true;
    } catch (err) {
      const box = $("load-error");
      box.hidden = false;
      box.textContent = t("loadFailed") + errorText.refusal(err);
      const cached = recall(CATALOG_KEY);
      if (!state.catalog && cached) loadCatalog(cached);
      if (!state.catalog) return;
    }
    state.loadedPosition = state.position;
    const first = state.position > REPLAY_ENTRIES ? state.position - REPLAY_ENTRIES : Math.min(state.position, 1);
    startLive(first);
    trends.start();
    totalsView.refreshCampaigns((state.catalog.campaigns || []).map((c) => c.code));
  }

  // ---------------------------------------------------------------- catalog

  function loadCatalog(catalog) {
    state.catalog = catalog;
    state.regions = new Map((catalog.regions || []).map((region) => [region.code, region]));
    const index = (list) => new Map((list || []).map((label) => [label.code, label]));
    state.labels.campaigns = index(catalog.campaigns);
    state.labels.groups = index(catalog.beneficiary_groups);
    state.labels.items = index(catalog.item_kinds);
    state.labels.sites = index(catalog.site_kinds);
    state.labels.topics = index(catalog.training_topics);
    fillSelects();
    totalsView.buildCountyTable();
    totalsView.buildCountyChart();
    totalsView.buildMap();
    entryForm.resetEntryForm();
    // Waiting entries are listed by their counties' names.
    outbox.render();
  }

  function counties() {
    return (state.catalog.regions || []).filter((region) => region.level === "county");
  }

  function fillSelect(select, options) {
    const previous = select.value;
    select.replaceChildren(...options.map(([value, text]) => h("option", { value }, text)));
    if (options.some(([value]) => value === previous)) select.value = previous;
  }

  function fillSelects() {
    const regions = (state.catalog.regions || []).map((region) => [region.code, regionText(region.code) + " · " + region.code]);
    fillSelect($("f-county"), regions);
    fillSelect($("f-campaign"), (state.catalog.campaigns || []).map((c) => [c.code, labelText(state.labels.campaigns, c.code)]));
    fillSelect($("v-group"), (state.catalog.beneficiary_groups || []).map((g) => [g.code, labelText(state.labels.groups, g.code)]));
    fillSelect($("v-site-kind"), (state.catalog.site_kinds || []).map((s) => [s.code, labelText(state.labels.sites, s.code)]));
    // A training's and a service's drop-downs: topics, groups and site
    // kinds from the catalog, formats and service kinds from the ledger's
    // own lists. An optional field offers none first.
    const none = ["", t("optionNone")];
    const groups = (state.catalog.beneficiary_groups || []).map((g) => [g.code, labelText(state.labels.groups, g.code)]);
    const sites = (state.catalog.site_kinds || []).map((s) => [s.code, labelText(state.labels.sites, s.code)]);
    fillSelect($("t-topic"), (state.catalog.training_topics || []).map((topic) => [topic.code, labelText(state.labels.topics, topic.code)]));
    const firstFormats = $("t-format").options.length === 0;
    fillSelect($("t-format"), TRAINING_FORMATS.map(([code, key]) => [code, t(key)]));
    // Offline is the command line's default too (`ledger record training`).
    if (firstFormats) $("t-format").value = "offline";
    fillSelect($("t-group"), [none].concat(groups));
    fillSelect($("s-kind"), SERVICE_KINDS.map((kind) => [kind, t("kind." + kind)]));
    // A service's group is required (`ledger record service` refuses one
    // without --group), yet none is chosen first: a clerk who skips it is
    // told so by the ledger at the field, never records a group by default.
    fillSelect($("s-group"), [none].concat(groups));
    fillSelect($("s-site-kind"), [none].concat(sites));
    for (const select of document.querySelectorAll("select.item-kind")) fillItemSelect(select);
  }

  function fillItemSelect(select) {
    fillSelect(select, (state.catalog.item_kinds || []).map((item) => [item.code, labelText(state.labels.items, item.code)]));
  }

  // ---------------------------------------------------------------- audit

  // lookupAudit shows the audit trail of id; keepOutcome keeps the last
  // void's outcome shown (the trail is read again after a void).
  async function lookupAudit(id, scroll, keepOutcome) {
    id = String(id || "").trim();
    if (!id) return;
    $("audit-id").value = id;
    if (!keepOutcome) {
      state.voidOutcome = null;
      state.voiding = null;
    }
    state.audit = { loading: true };
    renderAudit();
    if (scroll) $("audit-card").scrollIntoView({ behavior: "smooth", block: "start" });
    try {
      state.audit = { trail: (await api("/api/v1/audit/" + encodeURIComponent(id))).body };
    } catch (err) {
      state.audit = { error: err };
    }
    renderAudit();
  }

  function renderAudit() {
    const box = $("audit-result");
    const audit = state.audit;
    if (!audit) {
      box.replaceChildren();
      return;
    }
    if (audit.loading) {
      box.replaceChildren(h("p", { class: "muted" }, t("auditLoading")));
      return;
    }
    if (audit.error) {
      box.replaceChildren(h("p", { class: "error-text", id: "audit-error" }, errorText.refusal(audit.error)));
      return;
    }
    const trail = audit.trail || {};
    // The roles that void entries from here, and the entries the trail
    // shows voided already, which are not offered again.
    const canVoid = VOIDING_ROLES.includes(state.role);
    const voided = new Set((trail.entries || []).filter((entry) => entry.type === "entry_voided" && entry.target_event_id)
      .map((entry) => entry.target_event_id));
    const kindKey = "auditKind." + trail.kind;
    const header = h("p", { class: "audit-head" },
      t("auditSubject") + ": ", h("strong", null, trail.subject || ""), " · ",
      t("auditKind") + ": " + (t(kindKey) === kindKey ? trail.kind || "" : t(kindKey)), " · ",
      (trail.entries || []).length === 1 ? t("auditCountOne") : t("auditCount", { n: (trail.entries || []).length }));
    const rows = (trail.entries || []).map((entry) => h("tr", { "data-position": entry.position },
      h("td", { class: "num" }, String(entry.position)),
      h("td", { class: "nowrap" }, typeText(entry.type)),
      h("td", { class: "nowrap" }, entry.actor || ""),
      h("td", { class: "nowrap" }, formatTime(entry.recorded_at)),
      h("td", { class: "nowrap" }, formatTime(entry.occurred_at)),
      h("td", { class: "summary", title: entry.target_event_id || null }, summaryText(entry)),
      h("td", null, (entry.changes || []).length
        ? h("ul", { class: "changes" }, entry.changes.map((change) =>
          h("li", null, h("code", null, change.field || ""), ": ", change.from || "", " → ", change.to || "")))
        : "—"),
      h("td", null, entry.reason || "—"),
      canVoid ? h("td", null, entryForm.voidButton(entry, voided)) : null));
    const columns = ["colPosition", "colType", "colActor", "colRecordedAt", "colOccurredAt", "colSummary", "colChanges", "colReason"];
    if (canVoid) columns.push("colVoid");
    const table = h("table", { class: "data compact", id: "audit-table" },
      h("thead", null, h("tr", null, columns.map((key) => h("th", { scope: "col" }, t(key))))),
      h("tbody", null, rows));
    box.replaceChildren(header, entryForm.voidOutcome() || "", h("div", { class: "table-wrap" }, table), entryForm.voidForm() || "");
  }

  // summaryText is an audit entry's summary; a void names the entry it
  // voids by its own id (a donation's, a session's), as the clerk knows
  // it, and by its event id only where the trail does not hold it.
  function summaryText(entry) {
    if (entry.type === "entry_voided" && entry.target_event_id) {
      return t("auditVoids", { id: entry.target_entry_id || entry.target_event_id });
    }
    return entry.summary || "";
  }

  // ---------------------------------------------------------------- views

  function viewOfHash() {
    if (window.location.hash === "#finance") return "finance";
    if (window.location.hash === "#access") return "access";
    return "overview";
  }

  function showView(view, keepHash) {
    const finance = view === "finance" && FINANCE_ROLES.includes(state.role);
    const access = view === "access" && ACCESS_ROLES.includes(state.role);
    state.view = finance ? "finance" : access ? "access" : "overview";
    $("dashboard").hidden = finance || access;
    $("finance-page").hidden = !finance;
    $("access-page").hidden = !access;
    for (const tab of document.querySelectorAll("#view-tabs .tab")) {
      const selected = tab.dataset.view === state.view;
      tab.setAttribute("aria-selected", selected ? "true" : "false");
      tab.tabIndex = selected ? 0 : -1;
    }
    if (!keepHash) {
      const hash = finance ? "#finance" : access ? "#access" : "";
      if (window.location.hash !== hash) history.replaceState(null, "", window.location.pathname + window.location.search + hash);
    }
    if (finance) {
      financePage.renderFinance();
      financePage.loadFinance();
    }
    if (access) loadAccessLog();
  }

  // loadAccessLog shows the recorded reads of personal data, newest first.
  async function loadAccessLog() {
    if (!ACCESS_ROLES.includes(state.role)) return;
    const table = $("access-table");
    const failure = $("access-error");
    try {
      const records = ((await api("/api/v1/access-log")).body || {}).records || [];
      failure.hidden = true;
      const head = h("thead", null, h("tr", null, ["accessWhen", "accessReader", "accessRole", "accessVia", "accessSubjects"].map((key) => h("th", { text: t(key) }))));
      const rows = records.slice().reverse().map((record) => {
        let subjects = (record.subjects || []).join(", ");
        if (record.more_subjects) subjects += " +" + record.more_subjects;
        return h("tr", null, h("td", { text: new Date(record.at).toLocaleString(state.lang === "zh" ? "zh-CN" : "en-GB") }),
          h("td", { text: record.reader }), h("td", { text: record.role }), h("td", { text: record.via }), h("td", { text: subjects }));
      });
      const body = h("tbody", null, rows.length ? rows : h("tr", null, h("td", { colspan: "5", class: "muted", text: t("accessEmpty") })));
      table.replaceChildren(head, body);
    } catch (err) {
      failure.textContent = err.message;
      failure.hidden = false;
    }
  }

  // ---------------------------------------------------------------- sign-out

  // signOut ends the session. Entries of the outbox made by the one
  // signing out and not sent yet are never sent or shown under another's
  // sign-in, but stay readable on this device: they are asked first
  // whether to keep them for their next sign-in or discard them.
  async function signOut() {
    let count = 0;
    try {
      count = await outbox.held();
    } catch (err) {
      count = 0;
    }
    if (count === 0) {
      finishSignOut(false);
      return;
    }
    $("sign-out-warning").textContent = t("signOutOutbox", { count: String(count) });
    const dialog = $("sign-out-dialog");
    if (!dialog.open) dialog.showModal();
  }

  // finishSignOut signs out, discarding the outbox's entries of the one
  // signing out first if asked to.
  async function finishSignOut(discard) {
    const dialog = $("sign-out-dialog");
    if (dialog.open) dialog.close();
    if (discard) {
      try {
        await outbox.discardHeld();
      } catch (err) {
        // The entries stay, their holder's alone: they are listed to them
        // at their next sign-in, to send or discard.
      }
    }
    forgetToken();
    state.role = "";
    state.name = "";
    showLogin("");
  }

  // ---------------------------------------------------------------- wiring

  function wire() {
    sheets.wireSheets();
    trends.wire();
    $("lang-toggle").addEventListener("click", () => setLanguage(state.lang === "zh" ? "en" : "zh"));
    $("sign-out").addEventListener("click", signOut);
    $("sign-out-keep").addEventListener("click", () => finishSignOut(false));
    $("sign-out-discard").addEventListener("click", () => finishSignOut(true));
    $("sign-out-cancel").addEventListener("click", () => $("sign-out-dialog").close());
    $("login-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const token = $("token-input").value.trim();
      if (!token) return;
      saveToken(token);
      start();
    });
    $("audit-form").addEventListener("submit", (event) => {
      event.preventDefault();
      lookupAudit($("audit-id").value, false);
    });
    $("entry-form").addEventListener("submit", entryForm.submitEntry);
    $("entry-type").addEventListener("change", () => {
      entryForm.showEntryType();
      entryForm.showViolations(state.violations);
    });
    $("entry-reset").addEventListener("click", entryForm.resetEntryForm);
    const tabs = Array.from(document.querySelectorAll("#view-tabs .tab"));
    for (const tab of tabs) {
      tab.addEventListener("click", () => showView(tab.dataset.view));
      tab.addEventListener("keydown", (event) => {
        if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
        event.preventDefault();
        const next = tabs[(tabs.indexOf(tab) + (event.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length];
        showView(next.dataset.view);
        next.focus();
      });
    }
    window.addEventListener("hashchange", () => {
      if (state.role) showView(viewOfHash(), true);
    });
    $("fin-refresh").addEventListener("click", () => financePage.loadFinance());
    $("access-refresh").addEventListener("click", () => loadAccessLog());
    $("fin-export-xlsx").addEventListener("click", financePage.exportReconciliation);
    $("fin-export-csv").addEventListener("click", financePage.exportReconciliation);
    $("fin-import-form").addEventListener("submit", financePage.previewStatement);
    $("fin-import-confirm").addEventListener("click", financePage.confirmStatement);
    $("fin-import-cancel").addEventListener("click", financePage.cancelImport);
    $("v-add-item").addEventListener("click", entryForm.addItemLine);
  }

  function init() {
    let lang = "zh";
    try {
      lang = localStorage.getItem(LANG_KEY) || "zh";
    } catch (err) {
      lang = "zh";
    }
    state.lang = lang === "en" ? "en" : "zh";
    wire();
    applyLanguage();
    start();
  }

  // The service worker keeps the app shell for offline use (sw.js).
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js").catch(() => {});

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
