// Dashboard of the union welfare activity ledger.
//
// Plain JavaScript, no libraries, no build step; it runs under the page's
// Content-Security-Policy (script-src 'self', style-src 'self'), so nothing
// here writes inline scripts or style attributes into markup.
//
// It is ES modules, loaded by the browser as they are: texts.js (the words,
// in Chinese and English), dom.js (building elements), format.js (money in
// fen, Beijing times), api.js (the API client), entry.js (the entry form),
// finance.js (the finance page), and this file, the other views.
//
// Security rule of these files: text that comes from the API (names,
// summaries, actors, venues, reasons, messages) is only ever inserted with
// textContent or text nodes (dom.js's h()). Nothing here uses innerHTML.
"use strict";

import { TEXT } from "./texts.js";
import { $, h, setText } from "./dom.js";
import { parseFen, formatFen, formatYuan, fenOf, formatCount, ratio, formatTime, beijingNowLocalInput, clockTime } from "./format.js";
import { apiClient } from "./api.js";
import { createEntry } from "./entry.js";
import { createFinance, newFinanceState } from "./finance.js";

(function () {
  const TOKEN_KEY = "ledger.token";
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
    labels: { campaigns: new Map(), groups: new Map(), items: new Map(), sites: new Map() },
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
    entryOutcome: null,
    violations: [],
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

  // The entry form (entry.js).
  const entryForm = createEntry({ state, t, api, fillItemSelect });

  // The finance page (finance.js).
  const financePage = createFinance({ state, t, api, labelText, regionLabel, FINANCE_ROLES, DECIDING_ROLES, PLEDGE_BUCKETS,
    FINANCE_REFRESH_MS });

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
      buildCountyTable();
      buildCountyChart();
      buildMap();
      renderTotals();
      renderCampaigns();
      renderFeed();
      renderAudit();
      entryForm.readItemLines();
      entryForm.renderItemLines();
      entryForm.renderEntryOutcome();
    }
    financePage.renderFinance();
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
      localStorage.setItem(TOKEN_KEY, token);
    } catch (err) {
      // kept in memory only
    }
  }

  function forgetToken() {
    state.token = "";
    try {
      localStorage.removeItem(TOKEN_KEY);
    } catch (err) {
      // nothing stored
    }
  }

  function showLogin(message) {
    stopLive();
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

  async function start() {
    state.token = readToken();
    if (!state.token) {
      showLogin("");
      return;
    }
    let who;
    try {
      who = (await api("/api/v1/whoami")).body;
    } catch (err) {
      if (err.status === 401) {
        forgetToken();
        showLogin(t("tokenInvalid"));
      } else {
        showLogin(err.message);
      }
      return;
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
    $("feed-card").classList.toggle("wide", !canRecord);
    $("audit-card").hidden = !INSPECTING_ROLES.includes(state.role);

    try {
      const catalog = (await api("/api/v1/catalog")).body;
      loadCatalog(catalog);
      if (state.view === "finance") financePage.renderFinance();
      const totals = (await api("/api/v1/totals")).body;
      applyTotals(totals);
      $("load-error").hidden = true;
    } catch (err) {
      const box = $("load-error");
      box.hidden = false;
      box.textContent = t("loadFailed") + err.message;
      if (!state.catalog) return;
    }
    state.loadedPosition = state.position;
    const first = state.position > REPLAY_ENTRIES ? state.position - REPLAY_ENTRIES : Math.min(state.position, 1);
    startLive(first);
    refreshCampaigns((state.catalog.campaigns || []).map((c) => c.code));
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
    fillSelects();
    buildCountyTable();
    buildCountyChart();
    buildMap();
    entryForm.resetEntryForm();
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
    for (const select of document.querySelectorAll("select.item-kind")) fillItemSelect(select);
  }

  function fillItemSelect(select) {
    fillSelect(select, (state.catalog.item_kinds || []).map((item) => [item.code, labelText(state.labels.items, item.code)]));
  }

  // ---------------------------------------------------------------- county table and chart

  function buildCountyTable() {
    const rows = (state.catalog.regions || []).map((region) => {
      const label = regionLabel(region.code);
      const name = h("th", { scope: "row" },
        h("span", { class: "name" }, label.primary),
        label.secondary ? h("span", { class: "sub" }, label.secondary) : null,
        region.level === "city" ? h("span", { class: "tag" }, t("cityLevel")) : null);
      const cell = (prefix) => h("td", { class: "num", id: prefix + "-" + region.code }, "—");
      return h("tr", { id: "row-" + region.code, class: region.level === "city" ? "city" : null },
        name, cell("total"), cell("allocin"), cell("allocout"), cell("spent"), cell("balance"), cell("people"));
    });
    $("county-rows").replaceChildren(...rows);
    const foot = (prefix) => h("td", { class: "num", id: prefix + "-all" }, "—");
    $("county-foot").replaceChildren(h("tr", null, h("th", { scope: "row" }, t("totalRow")),
      foot("total"), foot("allocin"), foot("allocout"), foot("spent"), foot("balance"), foot("people")));
  }

  function buildCountyChart() {
    const rows = counties().map((region) => {
      const label = regionLabel(region.code);
      return h("div", { class: "bar-row", id: "bar-" + region.code },
        h("span", { class: "bar-label" }, h("span", { class: "name" }, label.primary),
          label.secondary ? h("span", { class: "sub" }, label.secondary) : null),
        h("span", { class: "bar-track" },
          h("span", { class: "bar in", id: "bar-in-" + region.code }),
          h("span", { class: "bar out", id: "bar-out-" + region.code })),
        h("span", { class: "bar-value" },
          h("span", { id: "bar-in-value-" + region.code }, "—"),
          h("span", { class: "sub", id: "bar-out-value-" + region.code }, "—")));
    });
    $("county-chart").replaceChildren(...rows);
  }

  function buildMap() {
    const map = $("county-map");
    const tiles = [];
    let spare = 0;
    for (const region of counties()) {
      const label = regionLabel(region.code);
      const tile = h("div", { class: "tile", id: "tile-" + region.code },
        h("span", { class: "tile-name" }, label.primary),
        label.secondary ? h("span", { class: "tile-sub" }, label.secondary) : null,
        h("span", { class: "tile-value", id: "tile-value-" + region.code }, "—"));
      const place = MAP_LAYOUT[region.code];
      if (place) {
        tile.style.gridRow = String(place[0]);
        tile.style.gridColumn = String(place[1]);
      } else {
        tile.style.gridRow = String(4 + Math.floor(spare / 3));
        tile.style.gridColumn = String(1 + (spare % 3));
        spare++;
      }
      tiles.push(tile);
    }
    map.replaceChildren(...tiles);
  }

  function applyTotals(answer) {
    if (!answer || typeof answer.position !== "number") return;
    if (state.totals && answer.position < state.totals.position) return;
    state.totals = answer;
    state.position = Math.max(state.position, answer.position);
    renderTotals();
  }

  function figuresByRegion() {
    const byRegion = new Map();
    for (const row of (state.totals && state.totals.rows) || []) {
      if (!row.period) byRegion.set(row.county, row);
    }
    return byRegion;
  }

  function allFigures() {
    const all = (state.totals && state.totals.all) || [];
    return all.find((row) => !row.period) || all[0] || {};
  }

  function balanceOf(figures) {
    return fenOf(figures, "received") + fenOf(figures, "allocated_in") - fenOf(figures, "allocated_out") - fenOf(figures, "spent");
  }

  function renderTotals() {
    if (!state.catalog || !state.totals) return;
    const byRegion = figuresByRegion();
    const fill = (suffix, figures) => {
      setText("total-" + suffix, formatFen(fenOf(figures, "received")));
      setText("allocin-" + suffix, formatFen(fenOf(figures, "allocated_in")));
      setText("allocout-" + suffix, formatFen(fenOf(figures, "allocated_out")));
      setText("spent-" + suffix, formatFen(fenOf(figures, "spent")));
      const balance = balanceOf(figures);
      setText("balance-" + suffix, formatFen(balance));
      const balanceCell = $("balance-" + suffix);
      if (balanceCell) balanceCell.classList.toggle("negative", balance < 0n);
      setText("people-" + suffix, formatCount(figures.people_reached));
    };
    for (const region of state.catalog.regions || []) fill(region.code, byRegion.get(region.code) || {});
    const all = allFigures();
    fill("all", all);

    // Chart: money in (received + allocated in) against spent.
    let max = 0n;
    const values = new Map();
    for (const region of counties()) {
      const figures = byRegion.get(region.code) || {};
      const moneyIn = fenOf(figures, "received") + fenOf(figures, "allocated_in");
      const spent = fenOf(figures, "spent");
      values.set(region.code, [moneyIn, spent]);
      if (moneyIn > max) max = moneyIn;
      if (spent > max) max = spent;
    }
    for (const [code, [moneyIn, spent]] of values) {
      const inBar = $("bar-in-" + code);
      const outBar = $("bar-out-" + code);
      if (!inBar) continue;
      inBar.style.width = (ratio(moneyIn, max) * 100).toFixed(2) + "%";
      outBar.style.width = (ratio(spent, max) * 100).toFixed(2) + "%";
      setText("bar-in-value-" + code, formatFen(moneyIn));
      setText("bar-out-value-" + code, formatFen(spent));
      const tile = $("tile-" + code);
      if (tile) {
        const share = ratio(moneyIn, max);
        // Light teal for nothing, deep teal for the most.
        const lightness = 95 - share * 62;
        tile.style.backgroundColor = "hsl(174, " + (moneyIn > 0n ? 60 : 10) + "%, " + lightness.toFixed(1) + "%)";
        tile.classList.toggle("dark", lightness < 58);
        setText("tile-value-" + code, formatFen(moneyIn));
      }
    }

    setText("kpi-received", formatFen(fenOf(all, "received")));
    setText("kpi-spent", formatFen(fenOf(all, "spent")));
    setText("kpi-goods", formatFen(fenOf(all, "goods_received_value")));
    let people = 0;
    for (const value of Object.values(all.people_by_group || {})) people += Number(value) || 0;
    setText("kpi-people", formatCount(people));

    renderGroups(all);
    renderTraining(all);
    setText("position", String(state.totals.position));
    setText("updated", clockTime());
  }

  function renderGroups(all) {
    const entries = Object.entries(all.people_by_group || {}).filter(([, value]) => Number(value) > 0);
    entries.sort((a, b) => Number(b[1]) - Number(a[1]));
    const box = $("group-bars");
    if (entries.length === 0) {
      box.replaceChildren(h("p", { class: "muted" }, t("noData")));
      return;
    }
    const max = Number(entries[0][1]) || 1;
    box.replaceChildren(...entries.map(([code, value]) => {
      const bar = h("span", { class: "bar group" });
      bar.style.width = ((Number(value) / max) * 100).toFixed(2) + "%";
      return h("div", { class: "bar-row", id: "group-" + code },
        h("span", { class: "bar-label" }, h("span", { class: "name" }, labelText(state.labels.groups, code))),
        h("span", { class: "bar-track" }, bar),
        h("span", { class: "bar-value" }, formatCount(value)));
    }));
  }

  function renderTraining(all) {
    const formats = all.sessions_by_format || {};
    const rows = TRAINING_FORMATS.map(([code, key]) => {
      const figures = formats[code] || {};
      return h("tr", { id: "training-" + code }, h("th", { scope: "row" }, t(key)),
        h("td", { class: "num" }, formatCount(figures.count)), h("td", { class: "num" }, formatCount(figures.people)));
    });
    for (const [code, figures] of Object.entries(formats)) {
      if (TRAINING_FORMATS.some(([known]) => known === code)) continue;
      rows.push(h("tr", null, h("th", { scope: "row" }, code),
        h("td", { class: "num" }, formatCount(figures.count)), h("td", { class: "num" }, formatCount(figures.people))));
    }
    rows.push(h("tr", { class: "sum" }, h("th", { scope: "row" }, t("totalRow")),
      h("td", { class: "num" }, formatCount(all.sessions)), h("td", { class: "num" }, formatCount(all.participants))));
    $("training-rows").replaceChildren(...rows);

    const kinds = all.services_by_kind || {};
    const codes = SERVICE_KINDS.concat(Object.keys(kinds).filter((code) => !SERVICE_KINDS.includes(code)));
    $("service-rows").replaceChildren(...codes.map((code) => {
      const figures = kinds[code] || {};
      const key = "kind." + code;
      return h("tr", { id: "service-" + code }, h("th", { scope: "row" }, t(key) === key ? code : t(key)),
        h("td", { class: "num" }, formatCount(figures.count)), h("td", { class: "num" }, formatCount(figures.people)));
    }));
  }

  // ---------------------------------------------------------------- campaigns

  // campaignsAddUp says whether the campaigns' figures add up to the
  // region totals, exactly, in fen.
  function campaignsAddUp() {
    const all = allFigures();
    let received = 0n;
    let spent = 0n;
    for (const figures of state.campaignFigures.values()) {
      received += fenOf(figures, "received");
      spent += fenOf(figures, "spent");
    }
    return received === fenOf(all, "received") && spent === fenOf(all, "spent");
  }

  async function refreshCampaigns(codes) {
    state.campaignTimer = 0;
    if (!state.catalog) return;
    if (!codes) {
      codes = (state.catalog.campaigns || []).map((c) => c.code);
      if (state.dirtyCampaigns.size > 0) {
        codes = codes.filter((code) => state.dirtyCampaigns.has(code));
      } else if (state.checkCampaigns && campaignsAddUp()) {
        codes = [];
      }
    }
    state.dirtyCampaigns.clear();
    state.checkCampaigns = false;
    if (codes.length === 0) return;
    const answers = await Promise.all(codes.map((code) =>
      api("/api/v1/totals?campaign=" + encodeURIComponent(code)).then((r) => r.body, () => null)));
    answers.forEach((answer, i) => {
      if (!answer) return;
      const all = (answer.all || []).find((row) => !row.period) || {};
      state.campaignFigures.set(codes[i], all);
    });
    renderCampaigns();
  }

  function scheduleCampaignRefresh() {
    if (state.campaignTimer) return;
    state.campaignTimer = window.setTimeout(() => refreshCampaigns(), CAMPAIGN_REFRESH_MS);
  }

  function renderCampaigns() {
    if (!state.catalog) return;
    const list = (state.catalog.campaigns || []).map((campaign) => {
      const figures = state.campaignFigures.get(campaign.code) || {};
      const raised = fenOf(figures, "received");
      const spent = fenOf(figures, "spent");
      const goods = fenOf(figures, "goods_received_value");
      const active = raised > 0n || spent > 0n || goods > 0n || Number(figures.sessions || 0) > 0 || Number(figures.services || 0) > 0;
      const bar = h("span", { class: "bar out" });
      const share = ratio(spent, raised);
      bar.style.width = (share * 100).toFixed(2) + "%";
      const percent = raised > 0n ? (Number((spent * 1000n) / raised) / 10).toFixed(1) + "%" : "—";
      return h("li", { class: active ? "campaign" : "campaign idle", id: "campaign-" + campaign.code },
        h("div", { class: "campaign-name" }, labelText(state.labels.campaigns, campaign.code)),
        h("div", { class: "campaign-track" }, bar),
        h("div", { class: "campaign-figures" },
          h("span", null, t("raised") + " ", h("strong", { id: "campaign-raised-" + campaign.code }, formatFen(raised))),
          h("span", null, t("spent") + " ", h("strong", { id: "campaign-spent-" + campaign.code }, formatFen(spent))),
          h("span", null, t("balance") + " ", h("strong", null, formatFen(raised + fenOf(figures, "allocated_in") - fenOf(figures, "allocated_out") - spent))),
          raised > 0n ? h("span", { class: "muted" }, t("usedPct", { pct: percent })) : null,
          goods > 0n ? h("span", { class: "muted" }, t("goodsExtra", { value: formatFen(goods) })) : null,
          active ? null : h("span", { class: "muted" }, t("noActivity"))));
    });
    $("campaign-list").replaceChildren(...list);
  }

  // ---------------------------------------------------------------- live stream

  function renderLiveStatus(next) {
    const box = $("live-status");
    if (next) box.dataset.state = next;
    const key = { idle: "liveIdle", connecting: "liveConnecting", live: "liveOn", offline: "liveOff" }[box.dataset.state] || "liveIdle";
    $("live-status-text").textContent = t(key);
  }

  function startLive(afterPosition) {
    stopLive();
    let url = "/api/v1/live?access_token=" + encodeURIComponent(state.token);
    if (afterPosition > 0) url += "&last_event_id=" + encodeURIComponent(String(afterPosition));
    renderLiveStatus("connecting");
    const source = new EventSource(url);
    state.source = source;
    source.addEventListener("open", () => renderLiveStatus("live"));
    source.addEventListener("totals", (event) => {
      let answer;
      try {
        answer = JSON.parse(event.data);
      } catch (err) {
        return;
      }
      renderLiveStatus("live");
      const changed = !state.totals || answer.position !== state.totals.position;
      applyTotals(answer);
      if (changed) financePage.scheduleFinanceRefresh();
      if (changed) {
        // Entries name their campaigns; a change without one (a missed
        // entry) is caught by checking that the campaigns add up.
        state.checkCampaigns = true;
        scheduleCampaignRefresh();
      }
    });
    source.addEventListener("entry", (event) => {
      let entry;
      try {
        entry = JSON.parse(event.data);
      } catch (err) {
        return;
      }
      addFeedEntry(entry);
      if (entry && entry.position > state.loadedPosition && entry.campaign) {
        state.dirtyCampaigns.add(entry.campaign);
        scheduleCampaignRefresh();
      }
    });
    source.addEventListener("error", () => {
      if (state.source !== source) return;
      if (source.readyState === EventSource.CLOSED) {
        // The server refused or the stream ended: reconnect from the last
        // position seen, after checking the token still works.
        renderLiveStatus("offline");
        source.close();
        state.source = null;
        state.reconnectTimer = window.setTimeout(reconnect, RECONNECT_MS);
      } else {
        renderLiveStatus("offline");
      }
    });
  }

  async function reconnect() {
    state.reconnectTimer = 0;
    try {
      await api("/api/v1/whoami");
    } catch (err) {
      if (err.status === 401) {
        forgetToken();
        showLogin(t("tokenInvalid"));
        return;
      }
      state.reconnectTimer = window.setTimeout(reconnect, RECONNECT_MS);
      return;
    }
    const lastSeen = state.feed.length ? state.feed[0].position : state.position;
    startLive(lastSeen);
  }

  function stopLive() {
    if (state.reconnectTimer) window.clearTimeout(state.reconnectTimer);
    state.reconnectTimer = 0;
    if (state.source) state.source.close();
    state.source = null;
    renderLiveStatus("idle");
  }

  // ---------------------------------------------------------------- feed

  function addFeedEntry(entry) {
    if (!entry || typeof entry.position !== "number" || state.seen.has(entry.position)) return;
    state.seen.add(entry.position);
    state.feed.push(entry);
    state.feed.sort((a, b) => b.position - a.position);
    while (state.feed.length > FEED_MAX) state.seen.delete(state.feed.pop().position);
    const list = $("feed");
    const item = feedItem(entry);
    const index = state.feed.indexOf(entry);
    if (index < 0) return;
    const next = list.children[index] || null;
    list.insertBefore(item, next);
    while (list.children.length > state.feed.length) list.lastElementChild.remove();
    if (entry.position > state.loadedPosition) {
      item.classList.add("fresh");
      window.setTimeout(() => item.classList.remove("fresh"), 2500);
    }
    $("feed-empty").hidden = true;
  }

  function feedItem(entry) {
    const canInspect = INSPECTING_ROLES.includes(state.role);
    return h("li", { class: "feed-item type-" + String(entry.type).replace(/[^a-z_]/g, ""), "data-position": entry.position },
      h("div", { class: "feed-head" },
        h("span", { class: "badge" }, typeText(entry.type)),
        h("span", { class: "feed-where" }, regionText(entry.county), " · ", labelText(state.labels.campaigns, entry.campaign)),
        h("span", { class: "feed-pos" }, "#" + entry.position)),
      h("p", { class: "feed-summary" }, entry.summary || ""),
      h("div", { class: "feed-meta" },
        h("span", null, t("feedActor") + " ", h("strong", null, entry.actor || "—")),
        h("span", null, t("feedOccurred") + " " + formatTime(entry.occurred_at)),
        h("span", null, t("feedRecorded") + " " + formatTime(entry.recorded_at)),
        canInspect ? h("button", { class: "link", type: "button", onclick: () => lookupAudit(entry.event_id, true) }, t("feedAudit")) : null));
  }

  function renderFeed() {
    $("feed").replaceChildren(...state.feed.map(feedItem));
    $("feed-empty").hidden = state.feed.length > 0;
  }

  // ---------------------------------------------------------------- audit

  async function lookupAudit(id, scroll) {
    id = String(id || "").trim();
    if (!id) return;
    $("audit-id").value = id;
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
      box.replaceChildren(h("p", { class: "error-text", id: "audit-error" }, audit.error.message));
      return;
    }
    const trail = audit.trail || {};
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
      h("td", { class: "summary" }, entry.summary || ""),
      h("td", null, (entry.changes || []).length
        ? h("ul", { class: "changes" }, entry.changes.map((change) =>
          h("li", null, h("code", null, change.field || ""), ": ", change.from || "", " → ", change.to || "")))
        : "—"),
      h("td", null, entry.reason || "—")));
    const table = h("table", { class: "data compact", id: "audit-table" },
      h("thead", null, h("tr", null, ["colPosition", "colType", "colActor", "colRecordedAt", "colOccurredAt", "colSummary", "colChanges", "colReason"]
        .map((key) => h("th", { scope: "col" }, t(key))))),
      h("tbody", null, rows));
    box.replaceChildren(header, h("div", { class: "table-wrap" }, table));
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

  // ---------------------------------------------------------------- wiring

  function wire() {
    $("lang-toggle").addEventListener("click", () => setLanguage(state.lang === "zh" ? "en" : "zh"));
    $("sign-out").addEventListener("click", () => {
      forgetToken();
      state.role = "";
      showLogin("");
    });
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

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
