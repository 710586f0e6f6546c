// The API's refusals in the page's language. The API answers with data: a
// stable code for the refusal, a reason for the few refusals of one code a
// page words itself (the personal-data grant), and for each broken rule the
// field, the rule's words and, for the common rules, the rule's code (and
// its bound). Chinese is said from those codes (texts.js: "error.*",
// "reason.*", "violation.*"), never by reading the English words; a code
// the page has no words for, and every refusal in English, is said in the
// API's own words.

import { formatCount } from "./format.js";

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
};

// createErrorText is given t (texts.js, in the page's language) and has,
// which says whether the page's language has its own words for a key (t
// falls back to the Chinese, and English says the API's words instead).
export function createErrorText({ t, has }) {
  // rule is a broken rule in the page's language.
  function rule(violation) {
    const key = "violation." + (violation && violation.code);
    if (violation && violation.code && has(key)) {
      return t(key, { limit: formatCount(violation.limit || 0) });
    }
    return String((violation && violation.rule) || "");
  }

  // field names a field by its label where the form has one.
  function field(path) {
    path = String(path || "");
    const key = FIELD_LABELS[path];
    return key && has(key) ? t(key) : path || "$";
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
  function problems(violations) {
    return (violations || []).map((v) => field(v.field) + t("fieldSep") + rule(v));
  }

  // full is the refusal and its broken rules in one line, for the places
  // that show no form (the outbox).
  function full(err) {
    const listed = problems(err && err.violations);
    return refusal(err) + (listed.length ? " " + listed.join(t("problemSep")) : "");
  }

  return { rule, field, refusal, problems, full };
}
