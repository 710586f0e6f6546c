// The entry form: one entry of any kind recorded through POST
// /api/v1/events, with an idempotency key kept until it is recorded, and
// the API's violations shown at the fields they name. createEntry is given
// what it shares with the rest of the dashboard.

import { $, h } from "./dom.js";
import { beijingNowLocalInput } from "./format.js";

export function createEntry({ state, t, api, fillItemSelect, outbox }) {
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
    if (outcome.queued) {
      result.classList.add("ok");
      result.replaceChildren(t("entryQueued"));
      return;
    }
    const first = (outcome.results || [])[0] || {};
    result.classList.add("ok");
    result.replaceChildren(first.duplicate
      ? t("duplicate", { position: first.position })
      : t("recorded", { position: first.position, id: first.event_id }));
  }

  // keepForm clears the form for the next entry of the same kind, place
  // and campaign.
  function keepForm() {
    const keep = { type: $("entry-type").value, county: $("f-county").value, campaign: $("f-campaign").value };
    resetEntryForm();
    $("entry-type").value = keep.type;
    $("f-county").value = keep.county;
    $("f-campaign").value = keep.campaign;
    showEntryType();
  }

  // queueEntry keeps the entry in the outbox, with its idempotency key, to
  // send when the network returns.
  async function queueEntry(entry) {
    const data = entry.data || {};
    await outbox.queue(entry, [entry.type, data.donation_id || data.delivery_id || data.session_id || data.service_id || "", entry.county].join(" "));
    keepForm();
    state.entryOutcome = { queued: true };
  }

  async function submitEntry(event) {
    event.preventDefault();
    const submit = $("entry-submit");
    if (submit.disabled) return;
    const entry = buildEvent();
    const body = JSON.stringify(entry);
    submit.disabled = true;
    state.entryOutcome = { pending: true };
    state.violations = [];
    clearViolations();
    renderEntryOutcome();
    try {
      if (!navigator.onLine && outbox) {
        await queueEntry(entry);
      } else {
        const response = await api("/api/v1/events", { method: "POST", body });
        const results = (response.body && response.body.results) || [];
        keepForm();
        state.entryOutcome = { results };
      }
    } catch (err) {
      if (err.status === 0 && outbox) {
        // No answer: the network is down, or the answer was lost. The
        // outbox sends it again with the same key, which records it once.
        try {
          await queueEntry(entry);
        } catch (queueErr) {
          state.entryOutcome = { error: queueErr };
        }
      } else {
        // Nothing was written: the idempotency key is kept so a retry
        // cannot write the entry twice.
        state.entryOutcome = { error: err };
        state.violations = err.violations || [];
      }
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

  // addItemLine adds an empty goods line below the ones typed so far.
  function addItemLine() {
    readItemLines();
    itemLines.push(newItemLine());
    renderItemLines();
  }

  return { readItemLines, renderItemLines, renderEntryOutcome, resetEntryForm, submitEntry, showEntryType, showViolations, addItemLine };
}
