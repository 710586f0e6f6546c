// Dashboard of the union welfare activity ledger.
//
// Plain JavaScript, no libraries, no build step; it runs under the page's
// Content-Security-Policy (script-src 'self', style-src 'self'), so nothing
// here writes inline scripts or style attributes into markup.
//
// It is ES modules, loaded by the browser as they are: texts.js (the words,
// in Chinese and English), dom.js (building elements), format.js (money in
// fen, Beijing times), api.js (the API client), and this file, the views.
//
// Security rule of these files: text that comes from the API (names,
// summaries, actors, venues, reasons, messages) is only ever inserted with
// textContent or text nodes (dom.js's h()). Nothing here uses innerHTML.
"use strict";

import { TEXT } from "./texts.js";
import { $, h, setText } from "./dom.js";
import { parseFen, formatFen, formatYuan, fenOf, formatCount, ratio, formatTime, beijingNowLocalInput, clockTime } from "./format.js";
import { apiClient } from "./api.js";

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
      readItemLines();
      renderItemLines();
      renderEntryOutcome();
    }
    renderFinance();
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
    resetFinance();
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
    resetFinance();
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
      if (state.view === "finance") renderFinance();
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
    resetEntryForm();
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
      if (changed) scheduleFinanceRefresh();
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

  // ---------------------------------------------------------------- data entry

  function newIdempotencyKey() {
    const bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return "web-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  let itemLines = [];

  function newItemLine() {
    return { item: "", unit: "", quantity: "", value: "" };
  }

  function renderItemLines() {
    const box = $("v-items");
    if (!state.catalog) return;
    box.replaceChildren(...itemLines.map((line, i) => {
      const select = h("select", { class: "item-kind", id: "v-item-" + i, "data-field": "data.items[" + i + "].item" });
      fillItemSelect(select);
      if (line.item) select.value = line.item;
      select.addEventListener("change", () => {
        const kind = state.labels.items.get(select.value);
        const unit = $("v-unit-" + i);
        if (kind && unit && !unit.dataset.touched) unit.value = kind.unit || "";
      });
      const unit = h("input", { type: "text", id: "v-unit-" + i, class: "unit", "data-field": "data.items[" + i + "].unit" });
      unit.value = line.unit || (state.labels.items.get(select.value) || {}).unit || "";
      unit.addEventListener("input", () => { unit.dataset.touched = "1"; });
      const quantity = h("input", { type: "text", inputmode: "numeric", id: "v-quantity-" + i, "data-field": "data.items[" + i + "].quantity" });
      quantity.value = line.quantity;
      const value = h("input", { type: "text", inputmode: "decimal", id: "v-value-" + i, "data-field": "data.items[" + i + "].value" });
      value.value = line.value;
      const remove = h("button", { type: "button", class: "button ghost small", onclick: () => {
        readItemLines();
        itemLines.splice(i, 1);
        if (itemLines.length === 0) itemLines.push(newItemLine());
        renderItemLines();
      } }, t("removeItem"));
      return h("div", { class: "item-line", "data-field": "data.items[" + i + "]" },
        h("div", { class: "field" }, h("label", { for: "v-item-" + i }, t("fItem")), select),
        h("div", { class: "field" }, h("label", { for: "v-unit-" + i }, t("fUnit")), unit),
        h("div", { class: "field" }, h("label", { for: "v-quantity-" + i }, t("fQuantity")), quantity),
        h("div", { class: "field" }, h("label", { for: "v-value-" + i }, t("fValue")), value),
        h("div", { class: "field remove" }, remove));
    }));
    showViolations(state.violations);
  }

  function readItemLines() {
    const box = $("v-items");
    if (!box.children.length) return;
    itemLines = itemLines.map((line, i) => {
      const item = $("v-item-" + i);
      if (!item) return line;
      return { item: item.value, unit: $("v-unit-" + i).value, quantity: $("v-quantity-" + i).value, value: $("v-value-" + i).value };
    });
  }

  function resetEntryForm() {
    const form = $("entry-form");
    for (const node of form.querySelectorAll("input, textarea")) node.value = "";
    $("f-occurred").value = beijingNowLocalInput();
    const city = (state.catalog.regions || []).find((region) => region.level === "city");
    if (city) $("f-county").value = city.code;
    itemLines = [newItemLine()];
    $("v-items").replaceChildren();
    renderItemLines();
    state.idempotencyKey = newIdempotencyKey();
    state.entryOutcome = null;
    state.violations = [];
    clearViolations();
    renderEntryOutcome();
  }

  function text(id) {
    return $(id).value.trim();
  }

  // integer sends a whole number as a JSON number, and anything else as
  // typed, so that the API, not this page, says what is wrong with it.
  function integer(value) {
    value = String(value).trim();
    if (value === "") return undefined;
    if (/^\d{1,15}$/.test(value)) return Number(value);
    return value;
  }

  function compact(object) {
    for (const key of Object.keys(object)) {
      const value = object[key];
      if (value === undefined || value === "") delete object[key];
    }
    return object;
  }

  function occurredAt() {
    const value = text("f-occurred");
    if (!value) return undefined;
    // datetime-local has no zone: the form asks for Beijing time.
    return (value.length === 16 ? value + ":00" : value) + "+08:00";
  }

  function buildEvent() {
    const kind = $("entry-type").value;
    const envelope = {
      county: $("f-county").value,
      occurred_at: occurredAt(),
      idempotency_key: state.idempotencyKey,
    };
    if (kind === "donation") {
      return compact(Object.assign(envelope, {
        type: "donation_received",
        data: compact({
          donation_id: text("d-id"),
          campaign: $("f-campaign").value,
          donor_kind: $("d-kind").value,
          donor_organisation: text("d-org"),
          form: "money",
          amount: text("d-amount"),
          bank_reference: text("d-bank"),
          note: text("d-note"),
        }),
      }));
    }
    readItemLines();
    const items = itemLines.map((line) => compact({
      item: line.item,
      unit: line.unit.trim(),
      quantity: integer(line.quantity),
      value: line.value.trim(),
    }));
    const fundId = text("v-fund-id");
    const fundAmount = text("v-fund-amount");
    return compact(Object.assign(envelope, {
      type: "supplies_delivered",
      data: compact({
        delivery_id: text("v-id"),
        campaign: $("f-campaign").value,
        site: compact({ kind: $("v-site-kind").value, name: text("v-site-name") }),
        beneficiary_group: $("v-group").value,
        headcount: integer($("v-headcount").value),
        items,
        spent: text("v-spent"),
        funded_by: fundId || fundAmount ? [compact({ donation_id: fundId, amount: fundAmount })] : undefined,
        note: text("v-note"),
      }),
    }));
  }

  function clearViolations() {
    for (const node of document.querySelectorAll("#entry-form .field-error")) node.remove();
    for (const node of document.querySelectorAll("#entry-form [aria-invalid]")) node.removeAttribute("aria-invalid");
    for (const node of document.querySelectorAll("#entry-form .invalid")) node.classList.remove("invalid");
    const box = $("entry-errors");
    box.hidden = true;
    box.replaceChildren();
  }

  // fieldFor finds the control a violation is about: the exact path, or the
  // nearest enclosing path that has one ("data.site" for "data.site.x").
  function fieldFor(path) {
    const active = $("entry-type").value === "donation" ? $("donation-fields") : $("delivery-fields");
    const candidates = [];
    let current = path;
    while (current) {
      candidates.push(current);
      const cut = Math.max(current.lastIndexOf("."), current.lastIndexOf("["));
      if (cut <= 0) break;
      current = current.slice(0, cut);
    }
    for (const candidate of candidates) {
      for (const node of $("entry-form").querySelectorAll("[data-field]")) {
        if (node.dataset.field !== candidate) continue;
        if (node.closest("fieldset") && node.closest("fieldset") !== active) continue;
        return node;
      }
    }
    return null;
  }

  function showViolations(violations) {
    clearViolations();
    const unplaced = [];
    for (const violation of violations || []) {
      const field = String(violation.field || "");
      const control = fieldFor(field);
      if (!control) {
        unplaced.push(violation);
        continue;
      }
      const wrapper = control.classList.contains("field") || control.classList.contains("item-line")
        ? control : control.closest(".field") || control.parentElement;
      if (control.matches("input, select, textarea")) control.setAttribute("aria-invalid", "true");
      wrapper.classList.add("invalid");
      const shown = control.dataset.field === field ? violation.rule : field + ": " + violation.rule;
      wrapper.append(h("span", { class: "field-error", "data-for": field }, shown));
    }
    const outcome = state.entryOutcome;
    if (outcome && outcome.error) {
      const box = $("entry-errors");
      box.hidden = false;
      box.append(h("p", null, h("strong", null, t("notWritten")), " ", outcome.error.message));
      if (unplaced.length) {
        box.append(h("p", null, t("otherProblems")),
          h("ul", null, unplaced.map((v) => h("li", null, h("code", null, v.field || "$"), ": ", v.rule || ""))));
      }
    }
  }

  function renderEntryOutcome() {
    const result = $("entry-result");
    const outcome = state.entryOutcome;
    result.className = "entry-result";
    if (!outcome || outcome.error) {
      result.replaceChildren();
      showViolations(state.violations);
      return;
    }
    if (outcome.pending) {
      result.replaceChildren(t("submitting"));
      return;
    }
    const first = (outcome.results || [])[0] || {};
    result.classList.add("ok");
    result.replaceChildren(first.duplicate
      ? t("duplicate", { position: first.position })
      : t("recorded", { position: first.position, id: first.event_id }));
  }

  async function submitEntry(event) {
    event.preventDefault();
    const submit = $("entry-submit");
    if (submit.disabled) return;
    const body = JSON.stringify(buildEvent());
    submit.disabled = true;
    state.entryOutcome = { pending: true };
    state.violations = [];
    clearViolations();
    renderEntryOutcome();
    try {
      const response = await api("/api/v1/events", { method: "POST", body });
      const results = (response.body && response.body.results) || [];
      const keep = { type: $("entry-type").value, county: $("f-county").value, campaign: $("f-campaign").value };
      resetEntryForm();
      $("entry-type").value = keep.type;
      $("f-county").value = keep.county;
      $("f-campaign").value = keep.campaign;
      showEntryType();
      state.entryOutcome = { results };
    } catch (err) {
      // Nothing was written, or (network failure) we cannot know: the
      // idempotency key is kept so a retry cannot write the entry twice.
      state.entryOutcome = { error: err };
      state.violations = err.violations || [];
    } finally {
      submit.disabled = false;
    }
    renderEntryOutcome();
  }

  function showEntryType() {
    const donation = $("entry-type").value === "donation";
    $("donation-fields").hidden = !donation;
    $("delivery-fields").hidden = donation;
  }

  // ---------------------------------------------------------------- finance

  // The finance page: GET /api/v1/reconciliation, decisions posted to
  // /api/v1/reconciliation/decisions, exports fetched with the token and
  // saved through a blob: URL. It is loaded when shown, and again after
  // every decision and (debounced) whenever the log moves while it is shown.

  function financeKey(kind, id) {
    return kind + ":" + id;
  }

  function formatDate(value) {
    const text = formatTime(value);
    return /^\d{4}-\d{2}-\d{2}/.test(text) ? text.slice(0, 10) : text;
  }

  function sumFen(list, field) {
    let total = 0n;
    for (const item of list || []) total += parseFen(item[field]) || 0n;
    return total;
  }

  function ruleText(rule) {
    const key = "rule." + rule;
    return t(key) === key ? String(rule || "") : t(key);
  }

  function bucketText(bucket) {
    const key = "bucket." + bucket;
    return t(key) === key ? String(bucket || "") : t(key);
  }

  // summaryItem turns the API's bilingual item ("已匹配 matched") into a key
  // ("matched") and its two names.
  function summaryItem(item) {
    const text = String(item || "");
    const cut = text.search(/\s/);
    const zh = cut > 0 ? text.slice(0, cut) : text;
    const en = cut > 0 ? text.slice(cut + 1).trim() : text;
    const key = en.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
    return { key, zh, en };
  }

  function summaryLabel(item) {
    const known = "finSum." + item.key;
    if (t(known) !== known) return t(known);
    return state.lang === "zh" ? item.zh : item.en;
  }

  function bucketId(bucket) {
    return String(bucket).replace("+", "plus").replace(/[^a-z0-9-]/gi, "");
  }

  function countText(n) {
    return n === 1 ? t("finCountOne") : t("finCount", { n: formatCount(n) });
  }

  function canDecide() {
    return DECIDING_ROLES.includes(state.role);
  }

  function resetFinance() {
    const fin = state.fin;
    if (fin.timer) window.clearTimeout(fin.timer);
    state.fin = newFinanceState();
  }

  function newFinanceState() {
    return {
      data: null, // the last answer of GET /api/v1/reconciliation
      loading: false,
      error: null,
      seq: 0,
      timer: 0,
      open: new Set(), // keys of open reason forms
      drafts: new Map(), // key → reason typed so far
      busy: new Set(), // keys with a decision on its way
      errors: new Map(), // key → ApiError of the last try
      status: null, // the last decision's or export's outcome: { key, vars, detail, ok }
    };
  }

  async function loadFinance() {
    if (!FINANCE_ROLES.includes(state.role)) return;
    const fin = state.fin;
    const seq = ++fin.seq;
    fin.loading = true;
    if (!fin.data) renderFinance();
    try {
      const answer = (await api("/api/v1/reconciliation")).body || {};
      // A later load, or another sign-in, has the say.
      if (fin !== state.fin || seq !== fin.seq) return;
      fin.data = answer;
      fin.error = null;
    } catch (err) {
      if (fin !== state.fin || seq !== fin.seq) return;
      fin.error = err;
    }
    fin.loading = false;
    renderFinance();
  }

  function scheduleFinanceRefresh() {
    const fin = state.fin;
    if (state.view !== "finance" || fin.timer) return;
    fin.timer = window.setTimeout(() => {
      fin.timer = 0;
      if (state.view === "finance") loadFinance();
    }, FINANCE_REFRESH_MS);
  }

  async function decide(key, request, doneText) {
    const fin = state.fin;
    if (fin.busy.has(key)) return;
    fin.busy.add(key);
    fin.errors.delete(key);
    fin.status = null;
    renderFinance();
    try {
      const response = await api("/api/v1/reconciliation/decisions", { method: "POST", body: JSON.stringify(request) });
      const first = ((response.body && response.body.results) || [])[0] || {};
      fin.open.delete(key);
      fin.drafts.delete(key);
      fin.status = { key: doneText, vars: { id: request.id, position: first.position }, ok: true };
    } catch (err) {
      fin.errors.set(key, err);
    }
    // Reload whatever happened (a refusal may mean someone else decided);
    // the buttons stay disabled until the page shows the new state.
    await loadFinance();
    fin.busy.delete(key);
    renderFinance();
  }

  function errorText(err) {
    const parts = [err.message];
    for (const violation of err.violations || []) parts.push((violation.field || "$") + ": " + (violation.rule || ""));
    return parts.join(" · ");
  }

  // reasonForm is the inline form that asks why before a reject or a
  // write-off. Reasons are not checked here: the API says what is wrong.
  function reasonForm(key, labelKey, submitKey, onSubmit) {
    const fin = state.fin;
    const busy = fin.busy.has(key);
    const inputId = "reason-" + key.replace(/[^A-Za-z0-9_-]/g, "-");
    const input = h("input", { id: inputId, type: "text", maxlength: "2000", autocomplete: "off", class: "reason-input", "data-key": key });
    input.value = fin.drafts.get(key) || "";
    input.addEventListener("input", () => fin.drafts.set(key, input.value));
    const form = h("form", { class: "reason-form", novalidate: true, "data-key": key },
      h("label", { for: inputId }, t(labelKey)),
      h("div", { class: "reason-row" },
        input,
        h("button", { class: "button primary small", type: "submit", disabled: busy, "data-action": "submit-reason" }, busy ? t("finWorking") : t(submitKey)),
        h("button", { class: "button ghost small", type: "button", disabled: busy, "data-action": "cancel", onclick: () => {
          fin.open.delete(key);
          fin.errors.delete(key);
          renderFinance();
        } }, t("finCancel"))));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      onSubmit(input.value.trim());
    });
    return form;
  }

  function decisionError(key) {
    const err = state.fin.errors.get(key);
    if (!err) return null;
    return h("p", { class: "error-text decision-error", role: "alert" }, t("finNotRecorded"), errorText(err));
  }

  function table(id, headers, rows, foot) {
    const node = $(id);
    const parts = [
      h("thead", null, h("tr", null, headers.map(([key, cls]) => h("th", { scope: "col", class: cls }, t(key))))),
      h("tbody", null, rows)];
    if (foot) parts.push(h("tfoot", null, foot));
    node.replaceChildren(...parts);
    node.hidden = rows.length === 0;
    const empty = $(id + "-empty");
    if (empty) empty.hidden = rows.length > 0 || !state.fin.data;
  }

  function amountCell(value, extra) {
    const fen = parseFen(value);
    return h("td", { class: "num" + (fen !== null && fen < 0n ? " negative" : "") + (extra ? " " + extra : "") }, formatYuan(value));
  }

  function renderFinance() {
    if (!FINANCE_ROLES.includes(state.role)) return;
    const fin = state.fin;
    // Keep the focus (and the caret) across the re-render; what is typed is
    // kept in fin.drafts.
    const active = document.activeElement;
    let focus = null;
    if (active && $("finance-page").contains(active)) {
      const keyed = active.closest("[data-key]");
      const action = active.dataset.action || (active.classList.contains("reason-input") ? "input" : "");
      if (keyed && action) focus = { key: keyed.dataset.key, action, start: active.selectionStart, end: active.selectionEnd };
    }

    const errorBox = $("fin-error");
    errorBox.hidden = !fin.error;
    errorBox.textContent = fin.error ? t("loadFailed") + errorText(fin.error) : "";
    $("fin-readonly").hidden = canDecide();
    renderFinanceStatus();

    const answer = fin.data;
    const result = (answer && answer.reconciliation) || {};
    setText("fin-position", answer ? String(result.position || 0) : fin.loading ? t("finLoading") : "—");
    renderFinanceSummary(answer, result);
    renderSuggestions(result.suggested || []);
    renderUnmatchedLines(result.unmatched_lines || []);
    renderUnmatchedDonations(result.unmatched_donations || []);
    renderDuplicates(result.duplicates || []);
    renderPrinted(result.printed_twice || []);
    renderPledges(result.outstanding || []);
    renderSettled(result.matched || [], result.written_off || [], result.refunds || [], result.fees || []);
    $("fin-import-card").hidden = !canDecide();

    if (focus) {
      const key = CSS.escape(focus.key);
      const action = CSS.escape(focus.action);
      const target = focus.action === "input"
        ? document.querySelector('#finance-page form[data-key="' + key + '"] .reason-input')
        : document.querySelector('#finance-page [data-key="' + key + '"][data-action="' + action + '"], #finance-page [data-key="' + key + '"] [data-action="' + action + '"]');
      if (target && !target.disabled) {
        target.focus();
        if (focus.action === "input" && typeof focus.start === "number") target.setSelectionRange(focus.start, focus.end);
      }
    }
  }

  function renderFinanceStatus() {
    const status = state.fin.status;
    const box = $("fin-status");
    box.textContent = status ? t(status.key, status.vars) + (status.detail || "") : "";
    box.classList.toggle("ok", Boolean(status && status.ok));
  }

  function renderFinanceSummary(answer, result) {
    const box = $("fin-summary");
    if (!answer) {
      box.replaceChildren();
      return;
    }
    const items = (answer.summary || []).map((entry) => {
      const item = summaryItem(entry.item);
      return { key: item.key, label: summaryLabel(item), count: Number(entry.count) || 0, amount: entry.amount };
    });
    box.replaceChildren(...items.map((item) => h("div", { class: "fin-tile fin-tile-" + item.key, id: "fin-sum-" + item.key },
      h("span", { class: "kpi-label" }, item.label),
      h("span", { class: "fin-tile-count", id: "fin-sum-" + item.key + "-count", "data-count": item.count }, countText(item.count)),
      h("span", { class: "fin-tile-amount", id: "fin-sum-" + item.key + "-amount" }, item.fen !== undefined ? formatFen(item.fen) : formatYuan(item.amount)))));
  }

  function renderSuggestions(suggested) {
    const decide_ = canDecide();
    $("fin-suggestions-empty").hidden = suggested.length > 0 || !state.fin.data;
    $("fin-suggestions").replaceChildren(...suggested.map((match) => {
      const key = financeKey("suggestion", match.id);
      const fin = state.fin;
      const busy = fin.busy.has(key);
      const lines = match.lines || [];
      const donations = match.donations || [];
      const linesFen = lines.reduce((sum, line) => {
        const fen = parseFen(line.amount) || 0n;
        return sum + (fen < 0n ? -fen : fen);
      }, 0n);
      const feeFen = parseFen(match.fee) || 0n;
      const donationsFen = sumFen(donations, "amount");
      let balance;
      if (donations.length === 0) balance = t("finBalanceFeeOnly", { fee: formatFen(feeFen) });
      else if (feeFen !== 0n) balance = t("finBalanceLine", { lines: formatFen(linesFen), fee: formatFen(feeFen), donations: formatFen(donationsFen) });
      else balance = t("finBalanceNoFee", { lines: formatFen(linesFen), donations: formatFen(donationsFen) });
      const adds = linesFen + feeFen === donationsFen || donations.length === 0;

      const head = h("div", { class: "sug-head" },
        h("span", { class: "badge rule-badge rule-" + String(match.rule || "").replace(/[^a-z-]/g, "") }, ruleText(match.rule)),
        h("code", { class: "sug-rule-code", title: t("finRule") }, match.rule || ""),
        match.similarity ? h("span", { class: "sug-meta sug-similarity" }, t("finSimilarity") + " ", h("strong", null, Number(match.similarity).toFixed(2))) : null,
        match.fee ? h("span", { class: "sug-meta sug-fee" }, t("finFee") + " ", h("strong", null, formatYuan(match.fee))) : null,
        h("code", { class: "sug-id" }, match.id || ""));
      const lineTable = h("table", { class: "data compact sug-lines" },
        h("caption", null, t("finBankLines")),
        h("thead", null, h("tr", null, h("th", { scope: "col" }, t("colDate")), h("th", { scope: "col", class: "num" }, t("colAmount")),
          h("th", { scope: "col" }, t("colCounterparty")), h("th", { scope: "col" }, t("colRemark")))),
        h("tbody", null, lines.map((line) => h("tr", { "data-line": line.line_id },
          h("td", { class: "nowrap" }, formatDate(line.date)), amountCell(line.amount),
          h("td", null, line.counterparty || "—"), h("td", null, line.remark || "—")))));
      const donationTable = donations.length ? h("table", { class: "data compact sug-donations" },
        h("caption", null, t("finDonations")),
        h("thead", null, h("tr", null, h("th", { scope: "col" }, t("colDonation")), h("th", { scope: "col" }, t("colCampaign")),
          h("th", { scope: "col", class: "num" }, t("colAmount")))),
        h("tbody", null, donations.map((donation) => h("tr", { "data-donation": donation.donation_id },
          h("td", { class: "nowrap" }, donation.donation_id || ""), h("td", null, labelText(state.labels.campaigns, donation.campaign)),
          amountCell(donation.amount))))) : null;
      const actions = decide_ ? h("div", { class: "sug-actions" },
        h("button", { class: "button primary small", type: "button", disabled: busy, "data-key": key, "data-action": "confirm",
          onclick: () => decide(key, { action: "confirm", id: match.id }, "finConfirmed") }, busy && !fin.open.has(key) ? t("finWorking") : t("finConfirm")),
        fin.open.has(key) ? null : h("button", { class: "button ghost small", type: "button", disabled: busy, "data-key": key, "data-action": "reject",
          onclick: () => {
            fin.open.add(key);
            fin.errors.delete(key);
            renderFinance();
            const input = document.querySelector('#finance-page form[data-key="' + CSS.escape(key) + '"] .reason-input');
            if (input) input.focus();
          } }, t("finReject"))) : null;
      const form = decide_ && fin.open.has(key)
        ? reasonForm(key, "finRejectReason", "finRejectSubmit", (reason) => decide(key, { action: "reject", id: match.id, reason }, "finRejected"))
        : null;
      return h("li", { class: "suggestion", id: "suggestion-" + match.id, "data-id": match.id, "data-rule": match.rule },
        head,
        h("div", { class: "sug-body" }, h("div", { class: "table-wrap" }, lineTable), donationTable ? h("div", { class: "table-wrap" }, donationTable) : null),
        h("p", { class: "sug-balance" + (adds ? "" : " negative") }, balance),
        actions, form, decisionError(key));
    }));
  }

  function renderUnmatchedLines(lines) {
    const decide_ = canDecide();
    const fin = state.fin;
    const headers = [["colDate"], ["colSerial"], ["colAmount", "num"], ["colCounterparty"], ["colRemark"]];
    if (decide_) headers.push(["colAction"]);
    const rows = [];
    for (const line of lines) {
      const key = financeKey("line", line.line_id);
      const busy = fin.busy.has(key);
      rows.push(h("tr", { id: "line-" + line.line_id, "data-line": line.line_id },
        h("td", { class: "nowrap" }, formatDate(line.date)), h("td", { class: "nowrap" }, line.serial || "—"),
        amountCell(line.amount), h("td", null, line.counterparty || "—"), h("td", null, line.remark || "—"),
        decide_ ? h("td", null, fin.open.has(key) ? null : h("button", { class: "button ghost small", type: "button", disabled: busy,
          "data-key": key, "data-action": "write-off", onclick: () => {
            fin.open.add(key);
            fin.errors.delete(key);
            renderFinance();
            const input = document.querySelector('#finance-page form[data-key="' + CSS.escape(key) + '"] .reason-input');
            if (input) input.focus();
          } }, t("finWriteOff"))) : null));
      if (decide_ && (fin.open.has(key) || fin.errors.has(key))) {
        rows.push(h("tr", { class: "form-row" }, h("td", { colspan: String(headers.length) },
          fin.open.has(key) ? reasonForm(key, "finWriteOffReason", "finWriteOffSubmit",
            (reason) => decide(key, { action: "write-off", id: line.line_id, reason }, "finWrittenOff")) : null,
          decisionError(key))));
      }
    }
    table("fin-lines", headers, rows, lines.length ? h("tr", { class: "sum" }, h("th", { scope: "row", colspan: "2" }, t("totalRow")),
      h("td", { class: "num" }, formatFen(sumFen(lines, "amount"))), h("td", { colspan: String(headers.length - 3) })) : null);
  }

  function renderUnmatchedDonations(donations) {
    const rows = donations.map((donation) => h("tr", { id: "donation-" + donation.donation_id, "data-donation": donation.donation_id },
      h("td", { class: "nowrap" }, donation.donation_id || ""), h("td", null, donation.donor || "—"),
      h("td", null, labelText(state.labels.campaigns, donation.campaign)), h("td", null, regionLabel(donation.county).primary),
      h("td", { class: "nowrap" }, formatDate(donation.date)), amountCell(donation.amount)));
    table("fin-donations", [["colDonation"], ["colDonor"], ["colCampaign"], ["colRegion"], ["colDate"], ["colAmount", "num"]], rows,
      donations.length ? h("tr", { class: "sum" }, h("th", { scope: "row", colspan: "5" }, t("totalRow")),
        h("td", { class: "num" }, formatFen(sumFen(donations, "amount")))) : null);
  }

  function renderDuplicates(groups) {
    const rows = [];
    groups.forEach((group, i) => {
      for (const line of group || []) {
        rows.push(h("tr", { class: i % 2 ? "dup-odd" : "dup-even", "data-line": line.line_id },
          h("td", { class: "num" }, "#" + (i + 1)), h("td", { class: "nowrap" }, formatDate(line.date)),
          h("td", { class: "nowrap" }, line.serial || "—"), amountCell(line.amount),
          h("td", null, line.counterparty || "—"), h("td", null, line.remark || "—")));
      }
    });
    table("fin-duplicates", [["colGroup", "num"], ["colDate"], ["colSerial"], ["colAmount", "num"], ["colCounterparty"], ["colRemark"]], rows);
  }

  function renderPledges(pledges) {
    const buckets = new Map(PLEDGE_BUCKETS.map((bucket) => [bucket, { count: 0, fen: 0n }]));
    for (const pledge of pledges) {
      if (!buckets.has(pledge.bucket)) buckets.set(pledge.bucket, { count: 0, fen: 0n });
      const figures = buckets.get(pledge.bucket);
      figures.count++;
      figures.fen += parseFen(pledge.amount) || 0n;
    }
    const tiles = [];
    let allCount = 0;
    let allFen = 0n;
    for (const [bucket, figures] of buckets) {
      allCount += figures.count;
      allFen += figures.fen;
      const id = "fin-bucket-" + bucketId(bucket);
      tiles.push(h("div", { class: "fin-tile bucket bucket-" + bucketId(bucket), id },
        h("span", { class: "kpi-label" }, bucketText(bucket)),
        h("span", { class: "fin-tile-count", id: id + "-count", "data-count": figures.count }, countText(figures.count)),
        h("span", { class: "fin-tile-amount", id: id + "-amount" }, formatFen(figures.fen))));
    }
    tiles.push(h("div", { class: "fin-tile bucket bucket-all", id: "fin-bucket-all" },
      h("span", { class: "kpi-label" }, t("totalRow")),
      h("span", { class: "fin-tile-count", id: "fin-bucket-all-count", "data-count": allCount }, countText(allCount)),
      h("span", { class: "fin-tile-amount", id: "fin-bucket-all-amount" }, formatFen(allFen))));
    $("fin-buckets").replaceChildren(...(state.fin.data ? tiles : []));
    const rows = pledges.map((pledge) => h("tr", { id: "pledge-" + pledge.donation_id, "data-donation": pledge.donation_id },
      h("td", { class: "nowrap" }, pledge.donation_id || ""), h("td", null, pledge.donor || "—"),
      h("td", null, labelText(state.labels.campaigns, pledge.campaign)), h("td", { class: "nowrap" }, formatDate(pledge.date)),
      amountCell(pledge.amount), h("td", { class: "num" }, formatCount(pledge.age_days)),
      h("td", null, h("span", { class: "bucket-chip bucket-" + bucketId(pledge.bucket) }, bucketText(pledge.bucket)))));
    table("fin-pledges", [["colDonation"], ["colDonor"], ["colCampaign"], ["colPledgedOn"], ["colAmount", "num"], ["colAgeDays", "num"], ["colBucket"]], rows);
  }

  function renderPrinted(rows) {
    table("fin-printed", [["colDate"], ["colSerial"], ["colAmount", "num"], ["colCounterparty"], ["colPrintedAt"], ["colFirstAt"], ["colFile"]],
      rows.map((row) => h("tr", { "data-line": row.line_id },
        h("td", { class: "nowrap" }, formatDate(row.date)), h("td", { class: "nowrap" }, row.serial || "—"), amountCell(row.amount),
        h("td", null, row.counterparty || "—"), h("td", { class: "nowrap" }, row.where || ""), h("td", { class: "nowrap" }, row.of || ""),
        h("td", null, row.file || "—"))));
  }

  function renderSettled(matched, written, refunds, fees) {
    const matchedRows = matched.map((match) => h("tr", { id: "matched-" + match.id, "data-id": match.id },
      h("td", { class: "nowrap" }, ruleText(match.rule)),
      h("td", null, (match.lines || []).map((line) => h("div", { class: "nowrap" }, formatDate(line.date) + " · " + formatYuan(line.amount) +
        (line.counterparty ? " · " + line.counterparty : "")))),
      h("td", null, (match.donations || []).map((donation) => h("div", { class: "nowrap" }, (donation.donation_id || "") + " · " + formatYuan(donation.amount)))),
      amountCell(match.fee || "0.00"),
      h("td", null, match.decided_by ? h("code", null, match.decided_by) : "—")));
    table("fin-matched", [["colRule"], ["colLines"], ["colDonations"], ["finFee", "num"], ["colDecidedBy"]], matchedRows);
    const writtenRows = written.map((line) => h("tr", { "data-line": line.line_id },
      h("td", { class: "nowrap" }, formatDate(line.date)), h("td", { class: "nowrap" }, line.serial || "—"), amountCell(line.amount),
      amountCell(line.written_off), h("td", null, line.counterparty || "—"), h("td", null, line.remark || "—"),
      h("td", { class: "reason" }, line.reason || "—")));
    table("fin-written", [["colDate"], ["colSerial"], ["colAmount", "num"], ["colWrittenOff", "num"], ["colCounterparty"], ["colRemark"], ["colReason"]], writtenRows);
    const refundRows = refunds.map((pair) => h("tr", { id: "refund-" + pair.id, "data-id": pair.id },
      h("td", null, (pair.lines || []).map((line) => h("div", { class: "nowrap" }, formatDate(line.date) + " · " + formatYuan(line.amount) +
        (line.counterparty ? " · " + line.counterparty : "")))),
      h("td", null, pair.why || "—"),
      h("td", null, pair.decided_by ? h("code", null, pair.decided_by) : "—")));
    table("fin-refunds", [["colLines"], ["colNote"], ["colDecidedBy"]], refundRows);
    const feeRows = fees.map((fee) => h("tr", { "data-line": fee.line_id },
      h("td", { class: "nowrap" }, formatDate(fee.date)), h("td", { class: "nowrap" }, fee.serial || "—"), amountCell(fee.amount),
      h("td", null, fee.source === "match" ? t("finFeeWithMatch", { id: fee.match_id }) : t("finFeeWrittenOff")),
      h("td", null, fee.decided_by ? h("code", null, fee.decided_by) : "—")));
    table("fin-fees", [["colDate"], ["colSerial"], ["finFee", "num"], ["colSource"], ["colDecidedBy"]], feeRows);
  }

  // ---------------------------------------------------------------- statement import

  // The statement is sent as it is (the server reads GBK, UTF-8, XLSX and
  // CAMT.053) first with preview=true, which writes nothing; the preview
  // shows the new lines, those already in the ledger, the rows printed
  // twice and the checks, and only "Import" writes, by the same plan.
  const importState = { file: null, preview: null, busy: false };

  function importPath(preview) {
    const query = new URLSearchParams();
    query.set("file", importState.file.name);
    const profile = $("fin-import-profile").value;
    if (profile) query.set("profile", profile);
    const account = $("fin-import-account").value.trim();
    if (account) query.set("account", account);
    if (preview) query.set("preview", "true");
    return "/api/v1/reconciliation/statements?" + query.toString();
  }

  async function sendStatement(preview) {
    const body = await importState.file.arrayBuffer();
    const response = await api(importPath(preview), { method: "POST", body, contentType: "application/octet-stream" });
    return (response.body && response.body.import) || {};
  }

  async function previewStatement(event) {
    event.preventDefault();
    const input = $("fin-import-file");
    const status = $("fin-import-status");
    importState.file = input.files && input.files[0] ? input.files[0] : null;
    importState.preview = null;
    $("fin-import-result").hidden = true;
    if (!importState.file) {
      status.textContent = t("finImportChoose");
      return;
    }
    status.textContent = t("finImportReading");
    try {
      importState.preview = await sendStatement(true);
      status.textContent = "";
      renderImportPreview();
    } catch (err) {
      status.textContent = t("finImportFailed") + errorText(err);
    }
  }

  function renderImportPreview() {
    const plan = importState.preview;
    const box = $("fin-import-result");
    box.hidden = !plan;
    if (!plan) return;
    const newLines = plan.new || [];
    const already = plan.already || [];
    const twice = plan.printed_twice || [];
    $("fin-import-summary").textContent = t("finImportSummary", { file: plan.file || "", format: plan.format || "",
      profile: plan.profile ? " · " + plan.profile : "", account: plan.account || "", first: plan.first_date || "", last: plan.last_date || "",
      new: formatCount(newLines.length), already: formatCount(already.length), twice: formatCount(twice.length) });
    $("fin-import-summary").dataset.new = String(newLines.length);
    $("fin-import-summary").dataset.already = String(already.length);
    $("fin-import-summary").dataset.twice = String(twice.length);
    $("fin-import-balance").textContent = plan.balance_checked ? t("finImportBalanceOk") : t("finImportBalanceUnknown");
    $("fin-import-warnings").replaceChildren(...(plan.warnings || []).map((warning) => h("li", null, t("finImportWarning") + warning)));
    const problems = plan.problems || [];
    $("fin-import-problems").replaceChildren(...problems.map((problem) => h("li", null, t("finImportProblem") + problem)));
    if (newLines.length === 0 && problems.length === 0) $("fin-import-problems").append(h("li", { class: "muted" }, t("finImportNothing")));
    const rows = newLines.map((line) => h("tr", { "data-line": line.line_id },
      h("td", { class: "nowrap" }, line.date || ""), h("td", { class: "nowrap" }, line.serial || "—"), amountCell(line.amount),
      h("td", { class: "num" }, line.balance ? formatYuan(line.balance) : "—"), h("td", null, line.counterparty || "—"),
      h("td", null, line.remark || "—"), h("td", { class: "nowrap" }, line.where || "")));
    const node = $("fin-import-lines");
    node.replaceChildren(h("thead", null, h("tr", null, [["colDate"], ["colSerial"], ["colAmount", "num"], ["colBalance", "num"],
      ["colCounterparty"], ["colRemark"], ["colWhere"]].map(([key, cls]) => h("th", { scope: "col", class: cls }, t(key))))), h("tbody", null, rows));
    node.hidden = rows.length === 0;
    $("fin-import-confirm").disabled = importState.busy || problems.length > 0 || newLines.length === 0;
  }

  async function confirmStatement() {
    if (!importState.file || !importState.preview || importState.busy) return;
    const status = $("fin-import-status");
    importState.busy = true;
    renderImportPreview();
    try {
      const done = await sendStatement(false);
      status.textContent = t("finImportDone", { file: done.file || importState.file.name, written: formatCount(done.written || 0),
        already: formatCount((done.already || []).length) });
      status.classList.add("ok");
      importState.preview = null;
      $("fin-import-result").hidden = true;
      // The account and profile stay for the next statement of the month.
      $("fin-import-file").value = "";
    } catch (err) {
      status.textContent = t("finImportFailed") + errorText(err);
      status.classList.remove("ok");
    }
    importState.busy = false;
    if (importState.preview) renderImportPreview();
    await loadFinance();
  }

  // exportReconciliation downloads the export with the token: a plain link
  // cannot send the Authorization header, so the file is fetched and handed
  // to the browser through a blob: URL.
  async function exportReconciliation(event) {
    event.preventDefault();
    const link = event.currentTarget;
    const fin = state.fin;
    fin.status = { key: "finExporting" };
    renderFinanceStatus();
    let response;
    try {
      response = await fetch(link.getAttribute("href"), { headers: { Authorization: "Bearer " + state.token }, cache: "no-store" });
    } catch (err) {
      fin.status = { key: "finExportFailed", detail: t("networkError") };
      renderFinanceStatus();
      return;
    }
    if (!response.ok) {
      let message = response.status + " " + response.statusText;
      try {
        const body = await response.json();
        if (body && body.error && body.error.message) message = body.error.message;
      } catch (err) {
        // not JSON: the status says it
      }
      fin.status = { key: "finExportFailed", detail: message };
      renderFinanceStatus();
      return;
    }
    const blob = await response.blob();
    const disposition = response.headers.get("Content-Disposition") || "";
    const named = /filename="?([^";]+)"?/i.exec(disposition);
    const name = named ? named[1] : "reconciliation." + (link.dataset.format || "xlsx");
    const url = URL.createObjectURL(blob);
    const save = h("a", { href: url, download: name, hidden: true });
    document.body.append(save);
    save.click();
    save.remove();
    window.setTimeout(() => URL.revokeObjectURL(url), 60000);
    fin.status = { key: "finExported", vars: { name }, ok: true };
    renderFinanceStatus();
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
      renderFinance();
      loadFinance();
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
    $("entry-form").addEventListener("submit", submitEntry);
    $("entry-type").addEventListener("change", () => {
      showEntryType();
      showViolations(state.violations);
    });
    $("entry-reset").addEventListener("click", resetEntryForm);
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
    $("fin-refresh").addEventListener("click", () => loadFinance());
    $("access-refresh").addEventListener("click", () => loadAccessLog());
    $("fin-export-xlsx").addEventListener("click", exportReconciliation);
    $("fin-export-csv").addEventListener("click", exportReconciliation);
    $("fin-import-form").addEventListener("submit", previewStatement);
    $("fin-import-confirm").addEventListener("click", confirmStatement);
    $("fin-import-cancel").addEventListener("click", () => {
      importState.preview = null;
      $("fin-import-result").hidden = true;
      $("fin-import-status").textContent = "";
    });
    $("v-add-item").addEventListener("click", () => {
      readItemLines();
      itemLines.push(newItemLine());
      renderItemLines();
    });
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
