// The API's refusals in the page's language. The API answers with data: a
// stable code for the refusal, a reason for the few refusals of one code a
// page words itself (the personal-data grant), and for each broken rule the
// field, the rule's words and, for the common rules, the rule's code (and
// its bound). Chinese is said from those codes (texts.js: "error.*",
// "reason.*", "violation.*"), never by reading the English words; a code
// the page has no words for, and every refusal in English, is said in the
// API's own words.

import { formatCount, formatYuan } from "./format.js";

// FIELD_LABELS names the fields of an entry by the form's labels, for the
// problems shown away from the form (the outbox, the list under it).
const FIELD_LABELS = {
  county: "fCounty",
  occurred_at: "fOccurred",
  "data.campaign": "fCampaign",
  "data.donation_id": "fDonationId",
  "data.donor_kind": "fDonorKind",
  "data.donor_organisation": "fDonorOrg",
  "data.amount": "fAmount",
  "data.bank_reference": "fBankRef",
  "data.note": "fNote",
  "data.delivery_id": "fDeliveryId",
  "data.beneficiary_group": "fGroup",
  "data.site": "fSiteKind",
  "data.site.kind": "fSiteKind",
  "data.site.name": "fSiteName",
  "data.headcount": "fHeadcount",
  "data.spent": "fSpent",
  "data.items": "fItems",
  "data.session_id": "fSessionId",
  "data.topic": "fTopic",
  "data.title": "fTitle",
  "data.format": "fFormat",
  "data.participants": "fParticipants",
  "data.duration_minutes": "fMinutes",
  "data.venue": "fVenue",
  "data.cost": "fCost",
  "data.service_id": "fServiceId",
  "data.kind": "fServiceKind",
  "data.count": "fServiceCount",
  "data.person_times": "fPersonTimes",
  "data.target_event_id": "voidTarget",
  "data.reason": "voidReason",
  "data.closed_period": "voidClosedPeriod",
};

// PART_LABELS name the fields of a goods line and of a donation that paid
// for an entry, whatever the line ("data.items[2].quantity").
const PART_LABELS = {
  items: { list: "fItems", item: "fItem", unit: "fUnit", quantity: "fQuantity", value: "fValue" },
  funded_by: { donation_id: "fFundId", amount: "fFundAmount" },
};

// DETAILED_RULES are the rules whose Chinese words take the facts the
// API gives with them (a violation's details): the page's words would
// otherwise drop the campaign, the county and the figures the API's
// English says. Each names the key of its words, by which facts it has.
const DETAILED_RULES = {
  overspent: (details) => (details.donation ? "violation.overspent.donation" : details.county ? "violation.overspent.county" : ""),
  // A new entry cannot name a closed month (only a void or correction
  // may): it is told to change its date, or to have the month reopened.
  closed_month: (details, sent) => (!details.month ? "" : sent && !AMENDMENTS.includes(sent.type)
    ? "violation.closed_month.new" : "violation.closed_month.month"),
  open_month: (details) => (details.month ? "violation.open_month.month" : ""),
};

// AMENDMENTS are the entries that change an earlier one, the only ones
// that may name a closed month (closed_period).
const AMENDMENTS = ["entry_voided", "entry_corrected"];

// createErrorText is given t (texts.js, in the page's language) and has,
// which says whether the page's language has its own words for a key (t
// falls back to the Chinese, and English says the API's words instead).
//
// regionText and campaignText name a region and a campaign by their codes,
// for the facts a rule quotes.
export function createErrorText({ t, has, regionText, campaignText }) {
  // rule is a broken rule in the page's language; sent, when known, is
  // the entry refused, whose kind some rules' words depend on.
  function rule(violation, sent) {
    const code = violation && violation.code;
    const key = "violation." + code;
    if (code && has(key)) {
      const details = violation.details || {};
      const detailed = DETAILED_RULES[code] && DETAILED_RULES[code](details, sent);
      if (detailed && has(detailed)) return t(detailed, facts(details));
      return t(key, { limit: formatCount(violation.limit || 0) });
    }
    return String((violation && violation.rule) || "");
  }

  // facts are a rule's details as the page shows them: regions and
  // campaigns by their names, amounts of yuan as money.
  function facts(details) {
    const shown = {};
    for (const [name, value] of Object.entries(details)) {
      if (name === "county" && regionText) shown[name] = regionText(value);
      else if (name === "campaign" && campaignText) shown[name] = campaignText(value);
      else if (["balance", "after", "shortfall", "spent", "received"].includes(name)) shown[name] = formatYuan(value);
      else shown[name] = String(value);
    }
    return shown;
  }

  // field names a field by its label where the form has one, and a
  // goods line's field by the list's label, the line and the field's;
  // "" for no field (a rule of the whole entry).
  function field(path) {
    path = String(path || "");
    if (path === "" || path === "$") return "";
    const key = FIELD_LABELS[path];
    if (key && has(key)) return t(key);
    const part = /^data\.(items|funded_by)(?:\[(\d+)\])?\.([a-z_]+)$/.exec(path);
    const labels = part && PART_LABELS[part[1]];
    if (labels && labels[part[3]] && has(labels[part[3]])) {
      const line = part[2] === undefined ? "" : " " + (Number(part[2]) + 1);
      return (labels.list ? t(labels.list) + line + " · " : "") + t(labels[part[3]]);
    }
    return path;
  }

  // refusal is what the API refused, without the broken rules: a reason's
  // words, else the code's, else the API's message.
  function refusal(err) {
    if (!err) return "";
    if (err.reason && has("reason." + err.reason)) return t("reason." + err.reason);
    if (err.code && has("error." + err.code)) return t("error." + err.code);
    return String(err.message || err);
  }

  // problems lists each broken rule as "field: rule", fields by their
  // labels.
  function problems(violations, sent) {
    return (violations || []).map((v) => {
      const label = field(v.field);
      return (label ? label + t("fieldSep") : "") + rule(v, sent);
    });
  }

  // full is the refusal and its broken rules in one line, for the places
  // that show no form (the outbox); sent is the entry refused, if known.
  function full(err, sent) {
    const listed = problems(err && err.violations, sent);
    return refusal(err) + (listed.length ? " " + listed.join(t("problemSep")) : "");
  }

  return { rule, field, refusal, problems, full };
}
