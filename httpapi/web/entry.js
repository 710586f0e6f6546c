// The entry form: one entry of any kind recorded through POST
// /api/v1/events, with an idempotency key kept until it is recorded, and
// the API's violations shown at the fields they name, in the page's
// language (errors.js). The void of an entry, asked for from the audit
// trail, is recorded the same way. createEntry is given what it shares
// with the rest of the dashboard.

import { $, h } from "./dom.js";
import { beijingNowLocalInput, parseYuanTyped, withoutThousands, yuanText } from "./format.js";

// FIELDSETS are the form's parts for each kind of entry.
const FIELDSETS = { donation: "donation-fields", delivery: "delivery-fields", training: "training-fields", service: "service-fields" };

// VOIDABLE_TYPES are the entries a void may name.
const VOIDABLE_TYPES = ["donation_pledged", "donation_received", "funds_allocated", "supplies_delivered", "training_held", "service_provided"];

// COUNT_DIGITS_MAX is the most digits of a count sent as typed: a JSON
// number of more may not be held exactly. A longer one is sent as the
// largest such number, which the ledger refuses by its own bound.
const COUNT_DIGITS_MAX = 15;
const COUNT_TOO_MANY_DIGITS = 999999999999999;

// COUNT_UNREADABLE is what a count the page cannot read ("abc", "1.5")
// is sent as: the ledger's decoder stops at a count that is no number,
// and would then say nothing of the entry's other fields, while every
// count rule refuses -1 (must be > 0). The entry is refused whatever else
// it holds, the ledger says its other problems, and the page says its
// own rule at the field in place of the ledger's (mergeViolations).
const COUNT_UNREADABLE = -1;

// LOCAL_RULES are the rules the page checks itself, as it reads what was
// typed into a number field, by what it found: each rule's code (texts.js
// "violation.*" words it in Chinese) and its words in English, the API's
// own where the API has the rule (an amount's), so that a tooltip keeps
// them.
const LOCAL_RULES = {
  required: ["required", "is required"],
  whole_number: ["whole_number", "must be a whole number, such as 45"],
  count_thousands: ["thousands", "has a misplaced thousands separator: a comma may only separate groups of three digits, as in 1,500"],
  misplaced_thousands: ["thousands", "has a misplaced thousands separator: a comma may only separate groups of three digits, as in 1,250.50"],
  too_many_decimals: ["yuan", "must have at most two decimals (fen)"],
  not_yuan: ["yuan", "must be a decimal yuan amount such as \"1250.50\""],
  too_large: ["yuan_too_large", "overflows: must be at most 100000000000.00 yuan"],
};

// FORM_TYPES are the kinds of entry the form holds, by event type: an
// entry of one of them waiting in the outbox can be loaded back into it.
const FORM_TYPES = { donation_received: "donation", supplies_delivered: "delivery", training_held: "training", service_provided: "service" };

// MONEY_FIELDS are the fields of the money an entry of the form moves out
// of a region's funds: an overspend, which the ledger says of the whole
// entry, is shown there, the field a clerk changes, as `ledger import`
// shows it at a sheet's money column (sheets' moneyField). A donation
// brings money in.
const MONEY_FIELDS = { delivery: "data.spent", training: "data.cost", service: "data.cost" };

export function createEntry({ state, t, api, fillItemSelect, outbox, errorText, typeText, renderAudit, lookupAudit, recordingRoles,
  voidingRoles, closedPeriodRoles }) {
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
    state.loadedFromOutbox = null;
    clearViolations();
    renderEntryOutcome();
  }

  function text(id) {
    return $(id).value.trim();
  }

  // newReader reads the form's number fields, keeping the problems it
  // finds (local): a count is sent as a JSON number whatever its sign, so
  // that the ledger says its own rule of it (must be > 0) along with
  // every other problem of the entry; an amount is read as a clerk types
  // it (parseYuanTyped, the rule of the sheets and the command line) and
  // sent as the API's canonical yuan string. A required number left empty
  // is said to be required, where the ledger, which reads it as 0, would
  // say it must be > 0.
  function newReader() {
    const local = [];
    const problem = (field, found) => {
      const [code, rule] = LOCAL_RULES[found] || LOCAL_RULES.not_yuan;
      local.push({ field, code, rule, local: true });
    };
    return {
      local,
      count(field, value, required) {
        const typed = String(value).trim();
        if (typed === "") {
          if (required) problem(field, "required");
          return undefined;
        }
        const match = /^([+-]?)([0-9][0-9,]*)$/.exec(typed);
        if (!match) {
          problem(field, "whole_number");
          return COUNT_UNREADABLE;
        }
        const digits = match[2].includes(",") ? withoutThousands(match[2]) : match[2];
        if (digits === null) {
          problem(field, "count_thousands");
          return COUNT_UNREADABLE;
        }
        const sign = match[1] === "-" ? -1 : 1;
        if (digits.replace(/^0+/, "").length > COUNT_DIGITS_MAX) return sign * COUNT_TOO_MANY_DIGITS;
        return sign * Number(digits);
      },
      yuan(field, value, required) {
        const typed = String(value).trim();
        if (typed === "") {
          if (required) problem(field, "required");
          return undefined;
        }
        const read = parseYuanTyped(value);
        if (read.error) {
          // As typed: the API reads amounts by a narrower rule, so it
          // refuses this one too, and nothing is written.
          problem(field, read.error);
          return typed;
        }
        return yuanText(read.fen);
      },
    };
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
  function fundedBy(prefix, read) {
    const fundId = text(prefix + "-fund-id");
    const fundAmount = text(prefix + "-fund-amount");
    return fundId || fundAmount
      ? [compact({ donation_id: fundId, amount: read.yuan("data.funded_by[0].amount", fundAmount, true) })]
      : undefined;
  }

  // buildEvent is the entry the form holds, and the problems the page found
  // reading its numbers (newReader).
  function buildEvent() {
    const read = newReader();
    return { entry: buildEntry(read), local: read.local };
  }

  function buildEntry(read) {
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
          amount: read.yuan("data.amount", text("d-amount"), true),
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
          participants: read.count("data.participants", $("t-participants").value, true),
          duration_minutes: read.count("data.duration_minutes", $("t-minutes").value, true),
          venue: text("t-venue"),
          beneficiary_group: $("t-group").value,
          cost: read.yuan("data.cost", text("t-cost"), false),
          funded_by: fundedBy("t", read),
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
          count: read.count("data.count", $("s-count").value, true),
          person_times: read.count("data.person_times", $("s-person-times").value, false),
          site: siteKind || siteName ? compact({ kind: siteKind, name: siteName }) : undefined,
          cost: read.yuan("data.cost", text("s-cost"), false),
          funded_by: fundedBy("s", read),
          note: text("s-note"),
        }),
      }));
    }
    readItemLines();
    const items = itemLines.map((line, i) => compact({
      item: line.item,
      unit: line.unit.trim(),
      quantity: read.count("data.items[" + i + "].quantity", line.quantity, true),
      value: read.yuan("data.items[" + i + "].value", line.value, true),
    }));
    return compact(Object.assign(envelope, {
      type: "supplies_delivered",
      data: compact({
        delivery_id: text("v-id"),
        campaign: $("f-campaign").value,
        site: compact({ kind: $("v-site-kind").value, name: text("v-site-name") }),
        beneficiary_group: $("v-group").value,
        headcount: read.count("data.headcount", $("v-headcount").value, true),
        items,
        spent: read.yuan("data.spent", text("v-spent"), false),
        funded_by: fundedBy("v", read),
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
    // The form records new entries only: a rule's words may depend on it
    // (a closed month, which only a void or correction may name).
    const kind = $("entry-type").value;
    const sent = { type: Object.keys(FORM_TYPES).find((type) => FORM_TYPES[type] === kind) || "" };
    for (const violation of violations || []) {
      const field = String(violation.field || (violation.code === "overspent" && MONEY_FIELDS[kind]) || "");
      const control = fieldFor(field);
      if (!control) {
        unplaced.push(violation);
        continue;
      }
      const wrapper = control.classList.contains("field") || control.classList.contains("item-line")
        ? control : control.closest(".field") || control.parentElement;
      if (control.matches("input, select, textarea")) control.setAttribute("aria-invalid", "true");
      wrapper.classList.add("invalid");
      const rule = errorText.rule(violation, sent);
      // A problem placed at a control that holds its field (a goods line
      // for one of the line's fields the form has no control of) is
      // named by its label, never by its path.
      const label = control.dataset.field === field ? "" : errorText.field(field);
      const shown = label && label !== field ? label + t("fieldSep") + rule : rule;
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
        box.append(h("p", null, t("otherProblems")), problemList(unplaced, sent));
      }
    }
  }

  // problemList lists problems shown away from their fields, each named
  // by its field's label; a problem of the whole entry (a business rule,
  // such as an overspend) has no field and is said alone.
  function problemList(violations, sent) {
    return h("ul", null, violations.map((v) => {
      const label = errorText.field(v.field);
      return h("li", { "data-code": v.code || null, "data-for": v.field || null },
        label ? [h("code", null, label), t("fieldSep")] : null, errorText.rule(v, sent));
    }));
  }

  // mergeViolations is what is wrong with an entry: the problems the page
  // found reading its numbers, and the API's of every other field (its
  // own of those fields only say how what the page sent them as is
  // refused).
  function mergeViolations(local, remote) {
    const own = new Set(local.map((v) => v.field));
    return local.concat((remote || []).filter((v) => !own.has(String(v.field || ""))));
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
  // send when the network returns, in place of the refused one it was
  // loaded from, if any.
  async function queueEntry(entry, replaces) {
    await outbox.queue(entry);
    if (replaces) await outbox.discard(replaces);
    keepForm();
    state.entryOutcome = { queued: true };
  }

  async function submitEntry(event) {
    event.preventDefault();
    const submit = $("entry-submit");
    if (submit.disabled) return;
    const { entry, local } = buildEvent();
    const body = JSON.stringify(entry);
    // The outbox entry the form was loaded from, which this one replaces.
    const replaces = state.loadedFromOutbox;
    submit.disabled = true;
    state.entryOutcome = { pending: true };
    state.violations = [];
    clearViolations();
    renderEntryOutcome();
    // The page's own problems refuse the entry whatever the API says; the
    // API is asked for the others, and an entry with such problems never
    // waits in the outbox.
    const refuseLocally = (err) => {
      const answered = err && err.status !== 0;
      state.entryOutcome = { error: answered ? err : { code: "invalid", message: "the input breaks validation rules" } };
      state.violations = mergeViolations(local, answered ? err.violations : []);
    };
    try {
      if (!navigator.onLine && outbox) {
        if (local.length) refuseLocally(null);
        else await queueEntry(entry, replaces);
      } else {
        const response = await api("/api/v1/events", { method: "POST", body });
        const results = (response.body && response.body.results) || [];
        keepForm();
        state.entryOutcome = { results };
        if (replaces && outbox) await outbox.discard(replaces);
      }
    } catch (err) {
      if (local.length) {
        refuseLocally(err);
      } else if (err.status === 0 && outbox) {
        // No answer: the network is down, or the answer was lost. The
        // outbox sends it again with the same key, which records it once.
        try {
          await queueEntry(entry, replaces);
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

  // loadEntry puts an entry the outbox keeps back into the form, with what
  // the ledger refused in it at its fields, to be fixed and sent again
  // under a new idempotency key (its own wrote nothing). Once the form's
  // entry is recorded, or waits in the outbox in turn, the outbox's is
  // removed (submitEntry). It says whether the form holds such an entry:
  // a void, or a donation of goods, it does not.
  function loadEntry(entry, key, refusal) {
    if (!canLoad(entry)) return false;
    const kind = FORM_TYPES[entry.type];
    const data = entry.data || {};
    resetEntryForm();
    $("entry-type").value = kind;
    showEntryType();
    const set = (id, value) => {
      if (value !== undefined && value !== null) $(id).value = String(value);
    };
    set("f-county", entry.county);
    set("f-campaign", data.campaign);
    if (entry.occurred_at) set("f-occurred", beijingLocalInput(entry.occurred_at));
    const funding = (prefix) => {
      const fund = (data.funded_by || [])[0] || {};
      set(prefix + "-fund-id", fund.donation_id);
      set(prefix + "-fund-amount", fund.amount);
    };
    const site = data.site || {};
    if (kind === "donation") {
      set("d-id", data.donation_id);
      set("d-kind", data.donor_kind);
      set("d-org", data.donor_organisation);
      set("d-amount", data.amount);
      set("d-bank", data.bank_reference);
      set("d-note", data.note);
    } else if (kind === "delivery") {
      set("v-id", data.delivery_id);
      set("v-group", data.beneficiary_group);
      set("v-site-kind", site.kind);
      set("v-site-name", site.name);
      set("v-headcount", data.headcount);
      set("v-spent", data.spent);
      set("v-note", data.note);
      funding("v");
      const items = (data.items || []).map((item) => ({ item: item.item || "", unit: item.unit || "",
        quantity: item.quantity === undefined ? "" : String(item.quantity), value: item.value || "" }));
      itemLines = items.length ? items : [newItemLine()];
      $("v-items").replaceChildren();
      renderItemLines();
    } else if (kind === "training") {
      set("t-id", data.session_id);
      set("t-topic", data.topic);
      set("t-title", data.title);
      set("t-format", data.format);
      set("t-participants", data.participants);
      set("t-minutes", data.duration_minutes);
      set("t-venue", data.venue);
      set("t-group", data.beneficiary_group);
      set("t-cost", data.cost);
      funding("t");
    } else {
      set("s-id", data.service_id);
      set("s-kind", data.kind);
      set("s-group", data.beneficiary_group);
      set("s-count", data.count);
      set("s-person-times", data.person_times);
      set("s-site-kind", site.kind);
      set("s-site-name", site.name);
      set("s-cost", data.cost);
      set("s-note", data.note);
      funding("s");
    }
    state.loadedFromOutbox = key;
    state.entryOutcome = refusal ? { error: refusal } : null;
    state.violations = (refusal && refusal.violations) || [];
    renderEntryOutcome();
    $("entry-card").scrollIntoView({ block: "start" });
    return true;
  }

  // canLoad says whether the form holds an entry of the outbox (loadEntry).
  function canLoad(entry) {
    const kind = FORM_TYPES[entry && entry.type];
    const form = entry && entry.data && entry.data.form;
    return Boolean(kind) && !(kind === "donation" && form && form !== "money");
  }

  // beijingLocalInput is a time as the form's datetime-local input holds
  // it: Beijing time, to the minute.
  function beijingLocalInput(value) {
    const instant = new Date(value);
    if (Number.isNaN(instant.getTime())) return "";
    return new Date(instant.getTime() + 8 * 3600 * 1000).toISOString().slice(0, 16);
  }

  // ---------------------------------------------------------------- voids

  // voidButton offers to void an entry of the audit trail, to the roles
  // that void, for the kinds of entry a void may name (not a void or a
  // correction, which the ledger refuses: void the original instead), and
  // not for one the trail shows voided already (voided: the event ids its
  // voids name), which the ledger would refuse too.
  function voidButton(entry, voided) {
    if (!voidingRoles.includes(state.role) || !VOIDABLE_TYPES.includes(entry.type) || !entry.event_id) return null;
    if (voided && voided.has(entry.event_id)) return null;
    return h("button", { class: "link void-open", type: "button", "data-action": "void", "data-event-id": entry.event_id,
      onclick: () => openVoid(entry) }, t("voidAction"));
  }

  function openVoid(entry) {
    const open = state.voiding;
    if (open && open.target.event_id === entry.event_id) return;
    state.voiding = { target: entry, key: newIdempotencyKey(), reason: "", occurred: beijingNowLocalInput(), closedPeriod: "",
      pending: false, error: null };
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
  // answer, at the fields it names. The roles that may change a month
  // finance has closed are also offered its month (closed_period); to the
  // others, a void the ledger refuses because the entry's month is closed
  // is explained: who may void it.
  function voidForm() {
    const voiding = state.voiding;
    if (!voiding) return null;
    const target = voiding.target;
    const mayNameMonth = closedPeriodRoles.includes(state.role);
    const reason = h("textarea", { id: "void-reason", rows: "2", maxlength: "2000", required: true, "data-field": "data.reason" });
    reason.value = voiding.reason;
    reason.addEventListener("input", () => { voiding.reason = reason.value; });
    const occurred = h("input", { id: "void-occurred", type: "datetime-local", step: "60", "data-field": "occurred_at" });
    occurred.value = voiding.occurred;
    occurred.addEventListener("input", () => { voiding.occurred = occurred.value; });
    const month = mayNameMonth ? h("input", { id: "void-closed-period", type: "text", inputmode: "numeric", maxlength: "7", spellcheck: "false",
      placeholder: targetMonth(target) || "2022-06", "data-field": "data.closed_period" }) : null;
    if (month) {
      month.value = voiding.closedPeriod;
      month.addEventListener("input", () => { voiding.closedPeriod = month.value; });
    }
    const violations = (voiding.error && voiding.error.violations) || [];
    // The closed month a refusal names: the ledger's, else the target's.
    const closed = violations.find((v) => v.code === "closed_month" && v.field === "data.closed_period");
    const closedMonth = closed ? (closed.details && closed.details.month) || targetMonth(target) : "";
    const placed = ["data.reason", "occurred_at"].concat(month ? ["data.closed_period"] : []);
    const at = (field) => violations.filter((v) => v.field === field).map((v) =>
      h("span", { class: "field-error", "data-for": field, "data-code": v.code || null, title: errorText.rule(v) !== v.rule ? v.rule : null },
        field === "data.closed_period" && v === closed ? t("voidClosedMonthName", { month: closedMonth }) : errorText.rule(v)));
    const elsewhere = violations.filter((v) => !placed.includes(v.field) && v !== closed);
    const field = (control, labelKey, extra) => h("div", { class: "field" + (extra || "") + (at(control.dataset.field).length ? " invalid" : "") },
      h("label", { for: control.id }, t(labelKey)), control, at(control.dataset.field));
    for (const control of [reason, occurred, month]) {
      if (control && at(control.dataset.field).length) control.setAttribute("aria-invalid", "true");
    }
    // A role that may not change a closed month is told who may: the
    // entry stays as it is until they do, or finance reopens the month.
    const closedNote = closed && !mayNameMonth
      ? h("p", { id: "void-closed-month", "data-code": "closed_month" }, t("voidClosedMonthClerk", { month: closedMonth }))
      : null;
    const errors = voiding.error
      ? h("div", { id: "void-errors", class: "form-errors", role: "alert" },
        h("p", null, h("strong", null, t("notWritten")), " ", errorText.refusal(voiding.error)),
        closedNote,
        elsewhere.length ? problemList(elsewhere) : null)
      : null;
    const form = h("form", { id: "void-form", class: "void-form", novalidate: true, autocomplete: "off", "data-target": target.event_id },
      h("p", { class: "void-title" }, h("strong", null, t("voidTitle", { position: target.position, type: typeText(target.type) })),
        target.summary ? " · " + target.summary : ""),
      h("p", { class: "muted small" }, t("voidHelp"), " ", t("voidTarget"), " ", h("code", null, target.event_id)),
      h("div", { class: "form-grid" }, field(reason, "voidReason", " span-2"), field(occurred, "voidOccurred"),
        month ? field(month, "voidClosedPeriod") : null),
      month ? h("p", { class: "muted small", id: "void-closed-period-help" }, t("voidClosedPeriodHelp")) : null,
      errors,
      h("div", { class: "form-actions" },
        h("button", { id: "void-submit", class: "button primary", type: "submit", disabled: voiding.pending }, t("voidSubmit")),
        h("button", { id: "void-cancel", class: "button ghost", type: "button", onclick: cancelVoid }, t("voidCancel")),
        voiding.pending ? h("span", { class: "entry-result", role: "status" }, t("submitting")) : null));
    form.addEventListener("submit", submitVoid);
    return form;
  }

  // targetMonth is the month (Beijing time, YYYY-MM) an entry of the audit
  // trail occurred in: the month a void of it changes.
  function targetMonth(entry) {
    const instant = new Date(entry && entry.occurred_at);
    if (Number.isNaN(instant.getTime())) return "";
    return new Date(instant.getTime() + 8 * 3600 * 1000).toISOString().slice(0, 7);
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
    if ($("void-closed-period")) voiding.closedPeriod = $("void-closed-period").value;
    const target = voiding.target;
    const entry = {
      type: "entry_voided",
      county: target.county,
      occurred_at: occurredAt("void-occurred"),
      idempotency_key: voiding.key,
      causation_id: target.event_id,
      data: compact({ campaign: target.campaign, target_event_id: target.event_id, reason: voiding.reason.trim(),
        closed_period: closedPeriodRoles.includes(state.role) ? voiding.closedPeriod.trim() : undefined }),
    };
    voiding.pending = true;
    voiding.error = null;
    renderAudit();
    // The outbox is shown, and sent, to the roles that record entries;
    // finance, which voids only, is told the network is down instead.
    const voidOutbox = recordingRoles.includes(state.role) ? outbox : null;
    const queue = async () => {
      await voidOutbox.queue(compact(entry));
      state.voiding = null;
      state.voidOutcome = { queued: true };
    };
    try {
      if (!navigator.onLine && voidOutbox) {
        await queue();
      } else {
        const response = await api("/api/v1/events", { method: "POST", body: JSON.stringify(compact(entry)) });
        const first = ((response.body && response.body.results) || [])[0] || {};
        state.voiding = null;
        state.voidOutcome = { target: target.event_id, position: first.position };
        if (state.audit && state.audit.trail) lookupAudit(state.audit.trail.subject, false, true);
      }
    } catch (err) {
      if (err.status === 0 && voidOutbox) {
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
    loadEntry, canLoad, voidButton, voidForm, voidOutcome };
}
