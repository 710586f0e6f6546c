// The entry form: one entry of any kind recorded through POST
// /api/v1/events, with an idempotency key kept until it is recorded, and
// the API's violations shown at the fields they name, in the page's
// language (errors.js). The void of an entry, asked for from the audit
// trail, is recorded the same way. createEntry is given what it shares
// with the rest of the dashboard.

import { $, h } from "./dom.js";
import { beijingNowLocalInput } from "./format.js";

// FIELDSETS are the form's parts for each kind of entry.
const FIELDSETS = { donation: "donation-fields", delivery: "delivery-fields", training: "training-fields", service: "service-fields" };

// VOIDABLE_TYPES are the entries a void may name.
const VOIDABLE_TYPES = ["donation_pledged", "donation_received", "funds_allocated", "supplies_delivered", "training_held", "service_provided"];

export function createEntry({ state, t, api, fillItemSelect, outbox, errorText, typeText, renderAudit, lookupAudit, recordingRoles }) {
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
    // An optional choice goes back to none with the text beside it: a
    // site kind kept without its name would be half a site.
    for (const node of form.querySelectorAll("select[data-optional]")) node.value = "";
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

  // occurredAt reads a datetime-local input as an RFC 3339 time.
  function occurredAt(id) {
    const value = text(id || "f-occurred");
    if (!value) return undefined;
    // datetime-local has no zone: the form asks for Beijing time.
    return (value.length === 16 ? value + ":00" : value) + "+08:00";
  }

  // fundedBy is the one donation a form says paid for the entry, if any.
  function fundedBy(prefix) {
    const fundId = text(prefix + "-fund-id");
    const fundAmount = text(prefix + "-fund-amount");
    return fundId || fundAmount ? [compact({ donation_id: fundId, amount: fundAmount })] : undefined;
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
    if (kind === "training") {
      // The fields of `ledger record training` (docs/EVENTS.md,
      // training_held); a training has no note.
      return compact(Object.assign(envelope, {
        type: "training_held",
        data: compact({
          session_id: text("t-id"),
          campaign: $("f-campaign").value,
          topic: $("t-topic").value,
          title: text("t-title"),
          format: $("t-format").value,
          participants: integer($("t-participants").value),
          duration_minutes: integer($("t-minutes").value),
          venue: text("t-venue"),
          beneficiary_group: $("t-group").value,
          cost: text("t-cost"),
          funded_by: fundedBy("t"),
        }),
      }));
    }
    if (kind === "service") {
      // The fields of `ledger record service` (service_provided): a site
      // is given whole or left out, and the API says which half is missing.
      const siteKind = $("s-site-kind").value;
      const siteName = text("s-site-name");
      return compact(Object.assign(envelope, {
        type: "service_provided",
        data: compact({
          service_id: text("s-id"),
          campaign: $("f-campaign").value,
          kind: $("s-kind").value,
          beneficiary_group: $("s-group").value,
          count: integer($("s-count").value),
          person_times: integer($("s-person-times").value),
          site: siteKind || siteName ? compact({ kind: siteKind, name: siteName }) : undefined,
          cost: text("s-cost"),
          funded_by: fundedBy("s"),
          note: text("s-note"),
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
        funded_by: fundedBy("v"),
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
    const active = $(FIELDSETS[$("entry-type").value] || FIELDSETS.donation);
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
      const rule = errorText.rule(violation);
      const shown = control.dataset.field === field ? rule : field + ": " + rule;
      // The API's own words stay at hand (a tooltip) where the page says
      // the rule in its language.
      wrapper.append(h("span", { class: "field-error", "data-for": field, "data-code": violation.code || null,
        title: rule !== violation.rule ? violation.rule : null }, shown));
    }
    const outcome = state.entryOutcome;
    if (outcome && outcome.error) {
      const box = $("entry-errors");
      box.hidden = false;
      box.append(h("p", null, h("strong", null, t("notWritten")), " ", errorText.refusal(outcome.error)));
      if (unplaced.length) {
        box.append(h("p", null, t("otherProblems")),
          h("ul", null, unplaced.map((v) => h("li", { "data-code": v.code || null },
            h("code", null, errorText.field(v.field)), t("fieldSep"), errorText.rule(v)))));
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
    await outbox.queue(entry);
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
    const shown = FIELDSETS[$("entry-type").value] ? $("entry-type").value : "donation";
    for (const [kind, id] of Object.entries(FIELDSETS)) $(id).hidden = kind !== shown;
  }

  // addItemLine adds an empty goods line below the ones typed so far.
  function addItemLine() {
    readItemLines();
    itemLines.push(newItemLine());
    renderItemLines();
  }

  // ---------------------------------------------------------------- voids

  // voidButton offers to void an entry of the audit trail, to the roles
  // that record, for the kinds of entry a void may name (not a void or a
  // correction, which the ledger refuses: void the original instead).
  function voidButton(entry) {
    if (!recordingRoles.includes(state.role) || !VOIDABLE_TYPES.includes(entry.type) || !entry.event_id) return null;
    return h("button", { class: "link void-open", type: "button", "data-action": "void", "data-event-id": entry.event_id,
      onclick: () => openVoid(entry) }, t("voidAction"));
  }

  function openVoid(entry) {
    const open = state.voiding;
    if (open && open.target.event_id === entry.event_id) return;
    state.voiding = { target: entry, key: newIdempotencyKey(), reason: "", occurred: beijingNowLocalInput(), pending: false, error: null };
    state.voidOutcome = null;
    renderAudit();
    const reason = $("void-reason");
    if (reason) reason.focus();
  }

  function cancelVoid() {
    state.voiding = null;
    renderAudit();
  }

  // voidForm asks why, and when, the entry chosen in the audit trail is
  // voided; null when none is chosen. The API says what is wrong with the
  // answer, at the fields it names.
  function voidForm() {
    const voiding = state.voiding;
    if (!voiding) return null;
    const target = voiding.target;
    const reason = h("textarea", { id: "void-reason", rows: "2", maxlength: "2000", required: true, "data-field": "data.reason" });
    reason.value = voiding.reason;
    reason.addEventListener("input", () => { voiding.reason = reason.value; });
    const occurred = h("input", { id: "void-occurred", type: "datetime-local", step: "60", "data-field": "occurred_at" });
    occurred.value = voiding.occurred;
    occurred.addEventListener("input", () => { voiding.occurred = occurred.value; });
    const violations = (voiding.error && voiding.error.violations) || [];
    const at = (field) => violations.filter((v) => v.field === field).map((v) =>
      h("span", { class: "field-error", "data-for": field, "data-code": v.code || null, title: errorText.rule(v) !== v.rule ? v.rule : null },
        errorText.rule(v)));
    const elsewhere = violations.filter((v) => v.field !== "data.reason" && v.field !== "occurred_at");
    const field = (control, labelKey, extra) => h("div", { class: "field" + (extra || "") + (at(control.dataset.field).length ? " invalid" : "") },
      h("label", { for: control.id }, t(labelKey)), control, at(control.dataset.field));
    if (at("data.reason").length) reason.setAttribute("aria-invalid", "true");
    if (at("occurred_at").length) occurred.setAttribute("aria-invalid", "true");
    const errors = voiding.error
      ? h("div", { id: "void-errors", class: "form-errors", role: "alert" },
        h("p", null, h("strong", null, t("notWritten")), " ", errorText.refusal(voiding.error)),
        elsewhere.length ? h("ul", null, elsewhere.map((v) => h("li", { "data-code": v.code || null },
          h("code", null, errorText.field(v.field)), t("fieldSep"), errorText.rule(v)))) : null)
      : null;
    const form = h("form", { id: "void-form", class: "void-form", novalidate: true, autocomplete: "off", "data-target": target.event_id },
      h("p", { class: "void-title" }, h("strong", null, t("voidTitle", { position: target.position, type: typeText(target.type) })),
        target.summary ? " · " + target.summary : ""),
      h("p", { class: "muted small" }, t("voidHelp"), " ", t("voidTarget"), " ", h("code", null, target.event_id)),
      h("div", { class: "form-grid" }, field(reason, "voidReason", " span-2"), field(occurred, "voidOccurred")),
      errors,
      h("div", { class: "form-actions" },
        h("button", { id: "void-submit", class: "button primary", type: "submit", disabled: voiding.pending }, t("voidSubmit")),
        h("button", { id: "void-cancel", class: "button ghost", type: "button", onclick: cancelVoid }, t("voidCancel")),
        voiding.pending ? h("span", { class: "entry-result", role: "status" }, t("submitting")) : null));
    form.addEventListener("submit", submitVoid);
    return form;
  }

  // voidOutcome says what became of the last void: recorded, or waiting
  // in the outbox.
  function voidOutcome() {
    const outcome = state.voidOutcome;
    if (!outcome) return null;
    return h("p", { id: "void-result", class: "entry-result ok", role: "status" },
      outcome.queued ? t("voidQueued") : t("voidDone", { target: outcome.target, position: outcome.position }));
  }

  // submitVoid records entry_voided for the chosen entry: its campaign
  // and county are the entry's, as `ledger record void` takes them, and
  // the idempotency key is kept until it is recorded, so that a retry
  // voids it once.
  async function submitVoid(event) {
    event.preventDefault();
    const voiding = state.voiding;
    if (!voiding || voiding.pending) return;
    // What the form holds now, whether typed or filled in otherwise.
    voiding.reason = $("void-reason").value;
    voiding.occurred = $("void-occurred").value;
    const target = voiding.target;
    const entry = {
      type: "entry_voided",
      county: target.county,
      occurred_at: occurredAt("void-occurred"),
      idempotency_key: voiding.key,
      causation_id: target.event_id,
      data: compact({ campaign: target.campaign, target_event_id: target.event_id, reason: voiding.reason.trim() }),
    };
    voiding.pending = true;
    voiding.error = null;
    renderAudit();
    const queue = async () => {
      await outbox.queue(compact(entry));
      state.voiding = null;
      state.voidOutcome = { queued: true };
    };
    try {
      if (!navigator.onLine && outbox) {
        await queue();
      } else {
        const response = await api("/api/v1/events", { method: "POST", body: JSON.stringify(compact(entry)) });
        const first = ((response.body && response.body.results) || [])[0] || {};
        state.voiding = null;
        state.voidOutcome = { target: target.event_id, position: first.position };
        if (state.audit && state.audit.trail) lookupAudit(state.audit.trail.subject, false, true);
      }
    } catch (err) {
      if (err.status === 0 && outbox) {
        try {
          await queue();
        } catch (queueErr) {
          voiding.error = queueErr;
        }
      } else {
        voiding.error = err;
      }
    } finally {
      voiding.pending = false;
    }
    renderAudit();
  }

  return { readItemLines, renderItemLines, renderEntryOutcome, resetEntryForm, submitEntry, showEntryType, showViolations, addItemLine,
    voidButton, voidForm, voidOutcome };
}
