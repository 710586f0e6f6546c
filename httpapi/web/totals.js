// The campaign dashboard's figures: the county table, chart and map, the
// campaigns' progress, beneficiary groups and training, from
// GET /api/v1/totals and the live stream's totals. createTotals is given
// what it shares with the rest of the dashboard.

import { $, h, setText } from "./dom.js";
import { formatFen, fenOf, formatCount, ratio, clockTime } from "./format.js";

export function createTotals({ state, t, api, labelText, regionLabel, counties, MAP_LAYOUT, SERVICE_KINDS, TRAINING_FORMATS,
  CAMPAIGN_REFRESH_MS }) {
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

  return { applyTotals, buildCountyChart, buildCountyTable, buildMap, refreshCampaigns, renderCampaigns, renderTotals, scheduleCampaignRefresh };
}
