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
      // A sheet with bad rows answers 422 with every row: shown, not thrown.
      if (err.status === 422 && err.body && err.body.rows) return err.body;
      throw err;
    }
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
      status.textContent = "";
    } catch (err) {
      status.textContent = t("sheetFailed") + errorText.full(err);
    }
    renderSheet();
  }

  function statusText(row) {
    const key = { valid: "sheetStatusValid", invalid: "sheetStatusInvalid", recorded: "sheetStatusRecorded", duplicate: "sheetStatusDuplicate" }[row.status];
    return key ? t(key) : row.status;
  }

  function renderSheet() {
    const preview = sheet.preview;
    $("sheet-result").hidden = !preview;
    if (!preview) return;
    const rows = preview.rows || [];
    $("sheet-summary").textContent = t("sheetSummary", { sheet: preview.sheet || "", rows: String(rows.length), invalid: String(preview.invalid || 0) })
      + (preview.invalid ? " " + t("sheetBlocked") : "");
    $("sheet-rows").replaceChildren(...rows.map((row) => h("tr", { class: "sheet-" + row.status, "data-row": row.row },
      h("td", { class: "num" }, String(row.row)),
      h("td", null, row.summary || ""),
      h("td", null, statusText(row)),
      h("td", null, (row.problems || []).map((problem) => problem.where + ": " + problem.rule).join("；")))));
    $("sheet-confirm").disabled = sheet.busy || !!preview.invalid || !preview.dry_run;
  }

  async function confirmSheet() {
    if (!sheet.file || !sheet.preview || sheet.busy) return;
    const status = $("sheet-status");
    sheet.busy = true;
    renderSheet();
    try {
      const done = await send(false);
      sheet.preview = done;
      status.textContent = done.invalid ? t("sheetBlocked")
        : t("sheetDone", { recorded: String(done.recorded || 0), duplicates: String(done.duplicates || 0) });
      status.classList.toggle("ok", !done.invalid);
      if (!done.invalid) $("sheet-file").value = "";
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
