// The spreadsheet import (台账): template downloads, and an upload that is
// previewed row by row (POST /api/v1/imports?dry_run=true) before the
// clerk confirms it. Text from the API is inserted as text only.

import { $, h } from "./dom.js";

// errorText (errors.js) says the API's refusals in the page's language.
export function createSheets({ state, t, api, errorText, token }) {
  const sheet = { file: null, preview: null, busy: false };

  // A template is fetched with the token and handed to the browser as a
  // file: a plain link cannot send the Authorization header.
  async function downloadTemplate(event) {
    const type = event.currentTarget.dataset.sheetType;
    const status = $("sheet-status");
    try {
      const response = await fetch("/api/v1/templates/" + encodeURIComponent(type),
        { headers: { Authorization: "Bearer " + token() }, cache: "no-store" });
      if (!response.ok) throw new Error(response.status + " " + response.statusText);
      const url = URL.createObjectURL(await response.blob());
      const link = h("a", { href: url, download: type + ".xlsx" });
      document.body.append(link);
      link.click();
      link.remove();
      window.setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (err) {
      status.textContent = t("sheetFailed") + errorText.full(err);
    }
  }

  async function send(dryRun) {
    const bytes = await sheet.file.arrayBuffer();
    const query = "?lang=" + encodeURIComponent(state.lang) + (dryRun ? "&dry_run=true" : "");
    try {
      return (await api("/api/v1/imports" + query, { method: "POST", body: bytes, contentType: "application/octet-stream" })).body;
    } catch (err) {
      // A refused sheet (bad rows, a rule of the ledger, a write whose
      // outcome is unknown) answers with every row and its error: shown
      // as refused, never as done.
      if (err.body && err.body.rows && err.body.error) return err.body;
      throw err;
    }
  }

  // troubled counts the rows that stop the sheet: their own problems, or
  // a rule of the ledger they break.
  function troubled(answer) {
    return (answer.invalid || 0) + (answer.refused || 0);
  }

  // refusal says why the API refused a sheet, in the page's language: the
  // rows name their own problems; a refusal no row shows (or rows left
  // untried) is said in the API's words too.
  function refusal(answer) {
    const words = errorText.refusal(answer.error);
    const message = String(answer.error.message || "");
    const told = (troubled(answer) && !answer.untried) || !message || words === message;
    return told ? words : words + " " + message;
  }

  async function previewSheet(event) {
    event.preventDefault();
    const input = $("sheet-file");
    const status = $("sheet-status");
    sheet.file = input.files && input.files[0] ? input.files[0] : null;
    sheet.preview = null;
    status.classList.remove("ok");
    renderSheet();
    if (!sheet.file) {
      status.textContent = t("sheetChoose");
      return;
    }
    status.textContent = t("sheetReading");
    try {
      sheet.preview = await send(true);
      status.textContent = sheet.preview.error ? refusal(sheet.preview) : "";
    } catch (err) {
      status.textContent = t("sheetFailed") + errorText.full(err);
    }
    renderSheet();
  }

  function statusText(row) {
    const key = {
      valid: "sheetStatusValid", invalid: "sheetStatusInvalid", recorded: "sheetStatusRecorded", duplicate: "sheetStatusDuplicate",
      refused: "sheetStatusRefused", unknown: "sheetStatusUnknown",
    }[row.status];
    return key ? t(key) : row.status;
  }

  // problemText is a row's problem: the rule in the page's language where
  // the API gives its code and the page has words for it, with the
  // ledger's own words after them (the figures of an overspend).
  function problemText(problem) {
    const ledgers = String(problem.rule || "");
    const said = errorText.rule(problem);
    return problem.where + ": " + (said === ledgers ? ledgers : said + t("sheetRuleDetail", { rule: ledgers }));
  }

  function renderSheet() {
    const preview = sheet.preview;
    $("sheet-result").hidden = !preview;
    if (!preview) return;
    const rows = preview.rows || [];
    const problems = troubled(preview);
    $("sheet-summary").textContent = t("sheetSummary", { sheet: preview.sheet || "", rows: String(rows.length), invalid: String(problems) })
      + (problems ? " " + t("sheetBlocked") : "");
    $("sheet-rows").replaceChildren(...rows.map((row) => h("tr", { class: "sheet-" + row.status, "data-row": row.row },
      h("td", { class: "num" }, String(row.row)),
      h("td", null, row.summary || ""),
      h("td", null, statusText(row)),
      h("td", null, (row.problems || []).map(problemText).join("；")))));
    // A sheet the API refused is never confirmed, whatever its rows say.
    $("sheet-confirm").disabled = sheet.busy || !!problems || !!preview.error || !preview.dry_run;
  }

  async function confirmSheet() {
    if (!sheet.file || !sheet.preview || sheet.busy) return;
    const status = $("sheet-status");
    sheet.busy = true;
    renderSheet();
    try {
      const done = await send(false);
      sheet.preview = done;
      status.textContent = done.error ? t("sheetFailed") + refusal(done)
        : t("sheetDone", { recorded: String(done.recorded || 0), duplicates: String(done.duplicates || 0) });
      status.classList.toggle("ok", !done.error);
      if (!done.error) $("sheet-file").value = "";
    } catch (err) {
      status.textContent = t("sheetFailed") + errorText.full(err);
    }
    sheet.busy = false;
    renderSheet();
  }

  function cancelSheet() {
    sheet.preview = null;
    sheet.file = null;
    $("sheet-status").textContent = "";
    renderSheet();
  }

  function wireSheets() {
    for (const button of document.querySelectorAll("[data-sheet-type]")) button.addEventListener("click", downloadTemplate);
    $("sheet-form").addEventListener("submit", previewSheet);
    $("sheet-confirm").addEventListener("click", confirmSheet);
    $("sheet-cancel").addEventListener("click", cancelSheet);
  }

  return { wireSheets, renderSheet };
}
