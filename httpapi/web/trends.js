// The trend card: money received and spent and people reached per month,
// for one campaign or all, in all regions or one, drawn as inline SVG from
// GET /api/v1/totals?campaign=…&county=…&by=month; and the link to the
// printable monthly report of a month of that selection.
//
// Money arrives as yuan strings and is read into BigInt fen (format.js):
// every mark of the chart carries its figure as data-fen (or data-count),
// and Number() is used only to size the marks. Text from the API goes in
// as text nodes only.

import { $, h } from "./dom.js";
import { parseFen, formatFen, formatCount } from "./format.js";

const SVG = "http://www.w3.org/2000/svg";

// The chart's drawing, in SVG user units; the style sheet scales it to
// the card's width.
const WIDTH_UNITS = 720;
const HEIGHT_UNITS = 260;
const LEFT_UNITS = 84;
const RIGHT_UNITS = 56;
const TOP_UNITS = 26;
const BOTTOM_UNITS = 30;
// A bar is at most this wide, so a campaign of one or two months does not
// draw two slabs.
const BAR_MAX_UNITS = 40;
const POINT_RADIUS_UNITS = 4;
// Each axis is divided into this many steps.
const TICKS_COUNT = 4;
// New totals on the live stream reload the chart at most this often: it
// is one by-month query for what is shown.
const REFRESH_MS = 1000;
// An opened report's blob: URL is released when the next one is opened,
// or after this long, by which time its window has long read it.
const REPORT_URL_KEEP_MS = 600000;

// The money series the chart draws as bars, side by side, and the count
// it draws as a line.
const MONEY_SERIES = [["received", "trendReceived"], ["spent", "trendSpent"]];
const COUNT_SERIES = ["people_reached", "trendReached"];

// svg builds an SVG element; strings among the children become text nodes.
function svg(tag, attributes, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes || {})) {
    if (value !== undefined && value !== null) node.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// niceStep is the smallest 1, 2 or 5 times a power of ten that, taken
// TICKS_COUNT times, reaches most (a BigInt); at least unit.
function niceStep(most, unit) {
  const count = BigInt(TICKS_COUNT);
  const need = (most + count - 1n) / count;
  for (let power = unit; ; power *= 10n) {
    for (const factor of [1n, 2n, 5n]) {
      if (factor * power >= need) return factor * power;
    }
  }
}

// scaled is a figure's height on a plot of plot units whose top is top.
function scaled(value, top, plot) {
  if (value <= 0n || top <= 0n) return 0;
  return Math.round((Number(value) / Number(top)) * plot);
}

export function createTrends({ state, t, token, labelText, regionText }) {
  // campaign and county are the selection; shown is the selection the
  // drawn answer is of (the next one may still be on its way), and the
  // report link opens the report of what is shown.
  const trend = { campaign: "", county: "", answer: null, shown: { campaign: "", county: "" }, error: "", loading: false, request: 0,
    reportURL: "", reportTimer: 0, refreshTimer: 0 };

  function fillControls() {
    const fill = (select, options, chosen) => {
      select.replaceChildren(...options.map(([value, text]) => h("option", { value }, text)));
      select.value = options.some(([value]) => value === chosen) ? chosen : "";
    };
    fill($("trend-campaign"), [["", t("trendAllCampaigns")]]
      .concat((state.catalog.campaigns || []).map((c) => [c.code, labelText(state.labels.campaigns, c.code)])), trend.campaign);
    fill($("trend-county"), [["", t("trendAllRegions")]]
      .concat((state.catalog.regions || []).map((region) => [region.code, regionText(region.code)])), trend.county);
  }

  // rows are the answer's months, summed over the chosen regions, with
  // their figures in BigInt fen and people.
  function rows() {
    return ((trend.answer && trend.answer.all) || []).filter((row) => row.period).map((row) => ({
      period: row.period,
      money: Object.fromEntries(MONEY_SERIES.map(([field]) => [field, parseFen(row[field]) || 0n])),
      count: BigInt(Math.trunc(Number(row[COUNT_SERIES[0]] || 0))),
    }));
  }

  async function load() {
    const request = ++trend.request;
    const selection = { campaign: trend.campaign, county: trend.county };
    trend.loading = true;
    render();
    const query = new URLSearchParams({ by: "month" });
    if (selection.campaign) query.set("campaign", selection.campaign);
    if (selection.county) query.set("county", selection.county);
    let answer = null;
    let error = "";
    try {
      const response = await fetch("/api/v1/totals?" + query, {
        headers: { Accept: "application/json", Authorization: "Bearer " + token() }, cache: "no-store" });
      const body = await response.json().catch(() => null);
      if (!response.ok) throw new Error((body && body.error && body.error.message) || response.status + " " + response.statusText);
      answer = body;
    } catch (err) {
      error = err.message || String(err);
    }
    // A slower answer to an older selection must not replace a newer one.
    if (request !== trend.request) return;
    trend.loading = false;
    trend.answer = answer;
    trend.shown = selection;
    trend.error = error;
    render();
  }

  function render() {
    const months = rows();
    const status = $("trend-status");
    status.textContent = trend.loading ? t("trendLoading") : trend.error ? t("trendFailed") + trend.error : months.length ? "" : t("trendEmpty");
    status.classList.toggle("error-text", !!trend.error);
    const drawing = $("trend-chart");
    drawing.replaceChildren(...(months.length ? [chart(months)] : []));
    // The selection the drawing shows, for a reader (or a test) to know
    // which answer it is once a new selection's answer has arrived.
    drawing.dataset.campaign = trend.answer ? trend.shown.campaign : "";
    drawing.dataset.county = trend.answer ? trend.shown.county : "";
    $("trend-table").replaceChildren(...(months.length ? [table(months)] : []));
    $("trend-table-wrap").hidden = !months.length;
    const select = $("report-month");
    const previous = select.value;
    select.replaceChildren(...months.map((month) => h("option", { value: month.period }, month.period)).reverse());
    if (months.some((month) => month.period === previous)) select.value = previous;
    $("report-open").disabled = !months.length;
  }

  function chart(months) {
    const bottom = HEIGHT_UNITS - BOTTOM_UNITS;
    const right = WIDTH_UNITS - RIGHT_UNITS;
    const plot = bottom - TOP_UNITS;
    let mostFen = 0n;
    let mostPeople = 0n;
    for (const month of months) {
      for (const [field] of MONEY_SERIES) if (month.money[field] > mostFen) mostFen = month.money[field];
      if (month.count > mostPeople) mostPeople = month.count;
    }
    // Money steps are whole yuan, people steps whole people.
    const fenStep = niceStep(mostFen, 100n);
    const peopleStep = niceStep(mostPeople, 1n);
    const fenTop = fenStep * BigInt(TICKS_COUNT);
    const peopleTop = peopleStep * BigInt(TICKS_COUNT);
    const grid = svg("g", { class: "trend-grid", "aria-hidden": "true" });
    for (let i = 0; i <= TICKS_COUNT; i++) {
      const y = bottom - Math.round((plot * i) / TICKS_COUNT);
      grid.append(svg("line", { x1: LEFT_UNITS, y1: y, x2: right, y2: y }),
        svg("text", { class: "axis-money", x: LEFT_UNITS - 4, y: y + 4 }, formatFen(fenStep * BigInt(i)).replace(/\.00$/, "")),
        svg("text", { x: right + 4, y: y + 4 }, formatCount(String(peopleStep * BigInt(i)))));
    }
    grid.append(svg("text", { class: "axis-money", x: LEFT_UNITS - 4, y: TOP_UNITS - 12 }, t("trendMoneyAxis")),
      svg("text", { x: right + 4, y: TOP_UNITS - 12 }, t("trendPeopleAxis")));
    const group = (right - LEFT_UNITS) / months.length;
    const bar = Math.min(Math.floor(group * 0.3), BAR_MAX_UNITS);
    const groups = [];
    const points = [];
    const dots = [];
    months.forEach((month, i) => {
      const middle = Math.round(LEFT_UNITS + group * i + group / 2);
      const marks = MONEY_SERIES.map(([field, label], j) => {
        const height = scaled(month.money[field], fenTop, plot);
        return svg("rect", { class: "trend-bar " + field, "data-series": field, "data-fen": month.money[field].toString(),
          x: middle - bar + j * bar, y: bottom - height, width: bar, height },
        svg("title", null, month.period + " " + t(label) + " " + formatFen(month.money[field])));
      });
      groups.push(svg("g", { class: "trend-month", "data-period": month.period }, marks,
        svg("text", { class: "month-label", x: middle, y: bottom + 20 }, month.period)));
      const y = bottom - scaled(month.count, peopleTop, plot);
      points.push(middle + "," + y);
      dots.push(svg("circle", { class: "trend-point", "data-period": month.period, "data-series": "people_reached",
        "data-count": month.count.toString(), cx: middle, cy: y, r: POINT_RADIUS_UNITS },
      svg("title", null, month.period + " " + t(COUNT_SERIES[1]) + " " + formatCount(String(month.count)))));
    });
    const { campaign, county } = trend.shown;
    const scope = (campaign ? labelText(state.labels.campaigns, campaign) : t("trendAllCampaigns")) + " · " +
      (county ? regionText(county) : t("trendAllRegions"));
    return svg("svg", { viewBox: "0 0 " + WIDTH_UNITS + " " + HEIGHT_UNITS, role: "img", "aria-labelledby": "trend-svg-title trend-svg-desc",
      class: "trend-svg" },
    svg("title", { id: "trend-svg-title" }, t("trendTitle") + " · " + scope),
    svg("desc", { id: "trend-svg-desc" }, t("trendDesc")),
    grid, groups, svg("polyline", { class: "trend-line", points: points.join(" "), "aria-hidden": "true" }), dots);
  }

  // table is the chart's figures as a table, for reading and for screen
  // readers.
  function table(months) {
    return h("table", { class: "data compact" },
      h("thead", null, h("tr", null, h("th", { scope: "col" }, t("trendMonth")),
        MONEY_SERIES.map(([, label]) => h("th", { scope: "col", class: "num" }, t(label))),
        h("th", { scope: "col", class: "num" }, t(COUNT_SERIES[1])))),
      h("tbody", null, months.map((month) => h("tr", { "data-period": month.period },
        h("th", { scope: "row" }, month.period),
        MONEY_SERIES.map(([field]) => h("td", { class: "num", "data-series": field }, formatFen(month.money[field]))),
        h("td", { class: "num", "data-series": COUNT_SERIES[0] }, formatCount(String(month.count)))))));
  }

  // openReport fetches the printable report of the chosen month with the
  // token in the Authorization header, as every API call sends it, and
  // opens it as a blob: URL, so the token never goes into an address (and
  // from there into a server's access log or the browser's history). The
  // window is opened on the click itself, so popup blocking leaves it be;
  // the link beside the button opens the same report again.
  async function openReport() {
    const month = $("report-month").value;
    if (!month) return;
    const status = $("report-status");
    const link = $("report-link");
    const opened = window.open("", "_blank");
    // The report needs nothing of the dashboard: its window gets no handle
    // back to it.
    if (opened) opened.opener = null;
    status.textContent = t("reportOpening");
    const query = new URLSearchParams({ lang: state.lang });
    if (trend.shown.campaign) query.set("campaign", trend.shown.campaign);
    if (trend.shown.county) query.set("county", trend.shown.county);
    try {
      const response = await fetch("/api/v1/reports/month/" + encodeURIComponent(month) + "?" + query,
        { headers: { Authorization: "Bearer " + token() }, cache: "no-store" });
      if (!response.ok) {
        const body = await response.json().catch(() => null);
        throw new Error((body && body.error && body.error.message) || response.status + " " + response.statusText);
      }
      const page = new Blob([await response.arrayBuffer()], { type: "text/html;charset=utf-8" });
      if (trend.reportURL) URL.revokeObjectURL(trend.reportURL);
      window.clearTimeout(trend.reportTimer);
      trend.reportURL = URL.createObjectURL(page);
      const url = trend.reportURL;
      trend.reportTimer = window.setTimeout(() => {
        if (trend.reportURL === url) {
          URL.revokeObjectURL(url);
          trend.reportURL = "";
          $("report-link").hidden = true;
        }
      }, REPORT_URL_KEEP_MS);
      link.href = url;
      link.dataset.month = month;
      link.hidden = false;
      status.textContent = t("reportOpened");
      if (opened) opened.location.href = url;
    } catch (err) {
      if (opened) opened.close();
      status.textContent = t("reportFailed") + (err.message || "");
    }
  }

  function wire() {
    $("trend-campaign").addEventListener("change", (event) => {
      trend.campaign = event.target.value;
      load();
    });
    $("trend-county").addEventListener("change", (event) => {
      trend.county = event.target.value;
      load();
    });
    $("report-open").addEventListener("click", openReport);
  }

  // scheduleRefresh reloads the chart after the live stream said the
  // totals changed, at most once in REFRESH_MS.
  function scheduleRefresh() {
    if (trend.refreshTimer || !state.catalog) return;
    trend.refreshTimer = window.setTimeout(() => {
      trend.refreshTimer = 0;
      load();
    }, REFRESH_MS);
  }

  // start shows the card for a signed-in dashboard with its catalog.
  function start() {
    fillControls();
    load();
  }

  // relabel redraws in the current language.
  function relabel() {
    if (!state.catalog) return;
    fillControls();
    render();
  }

  return { wire, start, relabel, load, scheduleRefresh };
}
