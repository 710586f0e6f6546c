// The finance page: GET /api/v1/reconciliation, decisions posted to
// /api/v1/reconciliation/decisions, exports fetched with the token and saved
// through a blob: URL, and the statement upload (preview, then import). Its
// state lives in state.fin; createFinance is given what it shares with the
// rest of the dashboard.

import { $, h, setText } from "./dom.js";
import { parseFen, formatFen, formatYuan, formatCount, formatTime } from "./format.js";

export function newFinanceState() {
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

export function createFinance({ state, t, api, labelText, regionLabel, errorText, FINANCE_ROLES, DECIDING_ROLES, PLEDGE_BUCKETS,
  FINANCE_REFRESH_MS }) {
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

  // refusalText is the API's refusal in the page's language (errors.js),
  // each broken rule after it under the field the API names: finance's
  // fields are the request's own (account, reason), not an entry's. A rule
  // of the whole request names no field.
  function refusalText(err) {
    const parts = [errorText.refusal(err)];
    for (const violation of err.violations || []) parts.push((violation.field ? violation.field + ": " : "") + errorText.rule(violation));
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
    return h("p", { class: "error-text decision-error", role: "alert" }, t("finNotRecorded"), refusalText(err));
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

  function amountCell(value, extra, note) {
    const fen = parseFen(value);
    return h("td", { class: "num" + (fen !== null && fen < 0n ? " negative" : "") + (extra ? " " + extra : "") }, formatYuan(value), note || null);
  }

  // ofWhole says a donation's whole amount where a match covers part of
  // it (the API's `of`), or where only part of it is unmatched.
  function ofWhole(donation, part) {
    const shown = part === undefined ? donation.amount : part;
    const whole = part === undefined ? donation.of : donation.amount;
    if (!whole || parseFen(whole) === parseFen(shown)) return null;
    return h("span", { class: "of-whole muted" }, t("finOfWhole", { whole: formatYuan(whole) }));
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
    errorBox.textContent = fin.error ? t("loadFailed") + refusalText(fin.error) : "";
    $("fin-readonly").hidden = canDecide();
    renderFinanceStatus();

    const answer = fin.data;
    const result = (answer && answer.reconciliation) || {};
    setText("fin-position", answer ? String(result.position || 0) : fin.loading ? t("finLoading") : "—");
    renderFinanceSummary(answer, result);
    renderSuggestions(result.suggested || []);
    renderVoided(result.voided_matches || []);
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
      return { key: item.key, label: summaryLabel(item), count: Number(entry.count) || 0, entry };
    });
    box.replaceChildren(...items.map((item) => h("div", { class: "fin-tile fin-tile-" + item.key, id: "fin-sum-" + item.key },
      h("span", { class: "kpi-label" }, item.label),
      h("span", { class: "fin-tile-count", id: "fin-sum-" + item.key + "-count", "data-count": item.count }, countText(item.count)),
      ...summaryFigures("fin-sum-" + item.key, item.entry))));
  }

  // summaryFigures is a summary part's money, in the API's column for it:
  // bank lines' money in and money out apart (a refund pair is as much in
  // as out, never their sum nor a net 0.00), or the bank fees, or money
  // recorded with no bank line; a part only counted shows no money.
  function summaryFigures(id, entry) {
    const flow = (kind, label, value) => h("span", { class: "fin-tile-flow fin-tile-" + kind },
      h("span", { class: "fin-flow-label" }, label), " ", h("span", { class: "fin-flow-amount", id: id + "-" + kind }, formatYuan(value)));
    switch (entry.column) {
      case "in_out":
        return [flow("in", t("finSumIn"), entry.money_in), flow("out", t("finSumOut"), entry.money_out)];
      case "fees":
        return [h("span", { class: "fin-tile-amount", id: id + "-amount" }, formatYuan(entry.fees))];
      case "recorded":
        return [h("span", { class: "fin-tile-amount", id: id + "-amount" }, formatYuan(entry.recorded))];
    }
    return [];
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
      // A match that covers part of a donation says so, with the whole.
      const wholeFen = sumFen(donations.map((donation) => ({ of: donation.of || donation.amount })), "of");
      if (donations.length && wholeFen !== donationsFen) balance += t("finBalanceOfWhole", { whole: formatFen(wholeFen) });

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
          amountCell(donation.amount, "", ofWhole(donation)))))) : null;
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
        whyLine(match.why, "sug-why"),
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
    // Money in and money out are totalled apart, never netted.
    const sumRow = (kind, label, fen) => h("tr", { class: "sum" }, h("th", { scope: "row", colspan: "2" }, t("totalRow") + " · " + t(label)),
      h("td", { class: "num", id: "fin-lines-total-" + kind }, formatFen(fen)), h("td", { colspan: String(headers.length - 3) }));
    const inFen = sumFen(lines.filter((line) => (parseFen(line.amount) || 0n) > 0n), "amount");
    const outFen = -sumFen(lines.filter((line) => (parseFen(line.amount) || 0n) < 0n), "amount");
    table("fin-lines", headers, rows, lines.length ? [sumRow("in", "finSumIn", inFen), sumRow("out", "finSumOut", outFen)] : null);
  }

  function renderUnmatchedDonations(donations) {
    const rows = donations.map((donation) => h("tr", { id: "donation-" + donation.donation_id, "data-donation": donation.donation_id },
      h("td", { class: "nowrap" }, donation.donation_id || ""), h("td", null, donation.donor || "—"),
      h("td", null, labelText(state.labels.campaigns, donation.campaign)), h("td", null, regionLabel(donation.county).primary),
      h("td", { class: "nowrap" }, formatDate(donation.date)), amountCell(unmatchedPart(donation), "", ofWhole(donation, unmatchedPart(donation)))));
    table("fin-donations", [["colDonation"], ["colDonor"], ["colCampaign"], ["colRegion"], ["colDate"], ["colAmount", "num"]], rows,
      donations.length ? h("tr", { class: "sum" }, h("th", { scope: "row", colspan: "5" }, t("totalRow")),
        h("td", { class: "num", id: "fin-donations-total" }, formatFen(donations.reduce((sum, donation) => sum + (parseFen(unmatchedPart(donation)) || 0n), 0n)))) : null);
  }

  // unmatchedPart is what no confirmed match covers of a donation (the
  // API's `unmatched`): all of it, or the rest once a match covers part.
  function unmatchedPart(donation) {
    return donation.unmatched || donation.amount;
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

  // whyLine says what made a match, in the API's words (the rule's
  // reasons, and what is left to do), under a label in the page's language.
  function whyLine(why, cls) {
    if (!why) return null;
    return h("p", { class: "match-why " + cls }, h("span", { class: "why-label" }, t("finWhy")), " ", h("span", { class: "why-text" }, why));
  }

  function linesCell(match) {
    return h("td", null, (match.lines || []).map((line) => h("div", { class: "nowrap" }, formatDate(line.date) + " · " + formatYuan(line.amount) +
      (line.counterparty ? " · " + line.counterparty : ""))));
  }

  function donationsCell(match) {
    return h("td", null, (match.donations || []).map((donation) => h("div", { class: "nowrap" }, (donation.donation_id || "") + " · " +
      formatYuan(donation.amount), ofWhole(donation))));
  }

  // matchedWhy is the matched row's account of itself: why the rule made
  // it, what the person who confirmed it wrote, and the pledges whose
  // receipt is still to be recorded (the line is their money; the totals
  // count it once the receipt is recorded).
  function matchedWhy(match) {
    const toReceive = match.to_receive || [];
    return h("td", { class: "reason match-account" },
      whyLine(match.why, "matched-why"),
      match.note ? h("p", { class: "match-note" }, h("span", { class: "why-label" }, t("finNote")), " ", h("span", { class: "note-text" }, match.note)) : null,
      toReceive.length ? h("p", { class: "match-receive" }, h("span", { class: "why-label" }, t("finToReceive")), " ",
        toReceive.flatMap((id, i) => [i ? ", " : "", h("code", { class: "receive-id", "data-donation": id }, id)]),
        h("span", { class: "receive-hint" }, t(toReceive.length === 1 ? "finToReceiveHintOne" : "finToReceiveHint"))) : null,
      match.why || match.note || toReceive.length ? null : "—");
  }

  function renderVoided(voided) {
    const rows = voided.map((match) => h("tr", { id: "voided-" + match.id, "data-id": match.id },
      h("td", { class: "nowrap" }, ruleText(match.rule)), linesCell(match), donationsCell(match),
      h("td", null, match.decided_by ? h("code", null, match.decided_by) : "—"),
      h("td", { class: "reason voided-todo" },
        h("p", { class: "todo-text" }, match.decided_by ? t("finVoidedTodo", { id: match.decided_by }) : t("finVoidedTodoNoEvent")),
        whyLine(match.why, "voided-why"))));
    table("fin-voided", [["colRule"], ["colLines"], ["colDonations"], ["colDecidedBy"], ["colTodo"]], rows);
    $("fin-voided-card").hidden = rows.length === 0;
  }

  function renderSettled(matched, written, refunds, fees) {
    const matchedRows = matched.map((match) => h("tr", { id: "matched-" + match.id, "data-id": match.id },
      h("td", { class: "nowrap" }, ruleText(match.rule)), linesCell(match), donationsCell(match),
      amountCell(match.fee || "0.00"),
      h("td", null, match.decided_by ? h("code", null, match.decided_by) : "—"),
      matchedWhy(match)));
    table("fin-matched", [["colRule"], ["colLines"], ["colDonations"], ["finFee", "num"], ["colDecidedBy"], ["colWhy"]], matchedRows);
    const writtenRows = written.map((line) => h("tr", { "data-line": line.line_id },
      h("td", { class: "nowrap" }, formatDate(line.date)), h("td", { class: "nowrap" }, line.serial || "—"), amountCell(line.amount),
      amountCell(line.written_off), h("td", null, line.counterparty || "—"), h("td", null, line.remark || "—"),
      h("td", { class: "reason" }, line.reason || "—")));
    table("fin-written", [["colDate"], ["colSerial"], ["colAmount", "num"], ["colWrittenOff", "num"], ["colCounterparty"], ["colRemark"], ["colReason"]], writtenRows);
    const refundRows = refunds.map((pair) => h("tr", { id: "refund-" + pair.id, "data-id": pair.id },
      linesCell(pair),
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
      status.textContent = t("finImportFailed") + refusalText(err);
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
    // Each count is said in its number: "1 row printed twice".
    const counted = (n, key) => n === 1 ? t(key + "One") : t(key, { n: formatCount(n) });
    $("fin-import-summary").textContent = t("finImportSummaryCounted", { file: plan.file || "", format: plan.format || "",
      profile: plan.profile ? " · " + plan.profile : "", account: plan.account || "", first: plan.first_date || "", last: plan.last_date || "",
      new: counted(newLines.length, "finImportNew"), already: counted(already.length, "finImportAlready"), twice: counted(twice.length, "finImportTwice") });
    $("fin-import-summary").dataset.new = String(newLines.length);
    $("fin-import-summary").dataset.already = String(already.length);
    $("fin-import-summary").dataset.twice = String(twice.length);
    $("fin-import-balance").textContent = !plan.balance_checked ? t("finImportBalanceUnknown")
      : plan.balance_agrees ? t("finImportBalanceOk") : t("finImportBalanceGap");
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

  function cancelImport() {
    importState.preview = null;
    $("fin-import-result").hidden = true;
    $("fin-import-status").textContent = "";
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
      status.textContent = t("finImportFailed") + refusalText(err);
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

  return { loadFinance, renderFinance, resetFinance, scheduleFinanceRefresh, exportReconciliation, previewStatement, confirmStatement,
    cancelImport };
}
