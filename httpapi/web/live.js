// The live stream and the feed: one EventSource on /api/v1/live that
// carries new entries (shown in the feed, newest first) and changed totals
// (handed to the totals view). A stream that ends is reopened from the
// last position seen, after checking that the token still works.

import { $, h } from "./dom.js";
import { formatTime } from "./format.js";

export function createLive({ state, t, api, typeText, regionText, labelText, lookupAudit, forgetToken, showLogin,
  totalsView, financePage, trends, INSPECTING_ROLES, FEED_MAX, RECONNECT_MS }) {
  // ---------------------------------------------------------------- live stream

  function renderLiveStatus(next) {
    const box = $("live-status");
    if (next) box.dataset.state = next;
    const key = { idle: "liveIdle", connecting: "liveConnecting", live: "liveOn", offline: "liveOff" }[box.dataset.state] || "liveIdle";
    $("live-status-text").textContent = t(key);
  }

  // onJSON hands handle the data of each event called name on the stream,
  // parsed. The totals and the entries are both JSON; a message that does
  // not parse is passed over, for both alike, rather than stopping the
  // stream's handling of the next one.
  function onJSON(source, name, handle) {
    source.addEventListener(name, (event) => {
      let data;
      try {
        data = JSON.parse(event.data);
      } catch (err) {
        return;
      }
      handle(data);
    });
  }

  function startLive(afterPosition) {
    stopLive();
    let url = "/api/v1/live?access_token=" + encodeURIComponent(state.token);
    if (afterPosition > 0) url += "&last_event_id=" + encodeURIComponent(String(afterPosition));
    renderLiveStatus("connecting");
    const source = new EventSource(url);
    state.source = source;
    source.addEventListener("open", () => renderLiveStatus("live"));
    onJSON(source, "totals", (answer) => {
      renderLiveStatus("live");
      const changed = !state.totals || answer.position !== state.totals.position;
      totalsView.applyTotals(answer);
      if (changed) financePage.scheduleFinanceRefresh();
      if (changed) trends.scheduleRefresh();
      if (changed) {
        // Entries name their campaigns; a change without one (a missed
        // entry) is caught by checking that the campaigns add up.
        state.checkCampaigns = true;
        totalsView.scheduleCampaignRefresh();
      }
    });
    // More entries were missed than one stream replays: the server sent
    // the first of them and ends the stream. The feed shows only the
    // newest, so it starts again from them rather than reconnecting for
    // the rest, as when the page loads.
    onJSON(source, "resync", (resync) => {
      const head = resync && typeof resync.position === "number" ? resync.position : 0;
      state.feed = [];
      state.seen.clear();
      renderFeed();
      startLive(Math.max(head - FEED_MAX, 0));
    });
    // One of finance's events (only tokens that may read the
    // reconciliation hear of them): the finance page reads it again.
    onJSON(source, "reconciliation", () => financePage.scheduleFinanceRefresh());
    onJSON(source, "entry", (entry) => {
      addFeedEntry(entry);
      if (entry && entry.position > state.loadedPosition && entry.campaign) {
        state.dirtyCampaigns.add(entry.campaign);
        totalsView.scheduleCampaignRefresh();
      }
    });
    source.addEventListener("error", () => {
      if (state.source !== source) return;
      if (source.readyState === EventSource.CLOSED) {
        // The server refused or the stream ended: reconnect from the last
        // position seen, after checking the token still works.
        renderLiveStatus("offline");
        source.close();
        state.source = null;
        state.reconnectTimer = window.setTimeout(reconnect, RECONNECT_MS);
      } else {
        renderLiveStatus("offline");
      }
    });
  }

  async function reconnect() {
    state.reconnectTimer = 0;
    try {
      await api("/api/v1/whoami");
    } catch (err) {
      if (err.status === 401) {
        forgetToken();
        showLogin(t("tokenInvalid"));
        return;
      }
      state.reconnectTimer = window.setTimeout(reconnect, RECONNECT_MS);
      return;
    }
    const lastSeen = state.feed.length ? state.feed[0].position : state.position;
    startLive(lastSeen);
  }

  function stopLive() {
    if (state.reconnectTimer) window.clearTimeout(state.reconnectTimer);
    state.reconnectTimer = 0;
    if (state.source) state.source.close();
    state.source = null;
    renderLiveStatus("idle");
  }

  // ---------------------------------------------------------------- feed

  function addFeedEntry(entry) {
    if (!entry || typeof entry.position !== "number" || state.seen.has(entry.position)) return;
    state.seen.add(entry.position);
    state.feed.push(entry);
    state.feed.sort((a, b) => b.position - a.position);
    while (state.feed.length > FEED_MAX) state.seen.delete(state.feed.pop().position);
    const list = $("feed");
    const item = feedItem(entry);
    const index = state.feed.indexOf(entry);
    if (index < 0) return;
    const next = list.children[index] || null;
    list.insertBefore(item, next);
    while (list.children.length > state.feed.length) list.lastElementChild.remove();
    if (entry.position > state.loadedPosition) {
      item.classList.add("fresh");
      window.setTimeout(() => item.classList.remove("fresh"), 2500);
    }
    $("feed-empty").hidden = true;
  }

  function feedItem(entry) {
    const canInspect = INSPECTING_ROLES.includes(state.role);
    return h("li", { class: "feed-item type-" + String(entry.type).replace(/[^a-z_]/g, ""), "data-position": entry.position },
      h("div", { class: "feed-head" },
        h("span", { class: "badge" }, typeText(entry.type)),
        h("span", { class: "feed-where" }, regionText(entry.county), " · ", labelText(state.labels.campaigns, entry.campaign)),
        h("span", { class: "feed-pos" }, "#" + entry.position)),
      h("p", { class: "feed-summary" }, entry.summary || ""),
      h("div", { class: "feed-meta" },
        h("span", null, t("feedActor") + " ", h("strong", null, entry.actor || "—")),
        h("span", null, t("feedOccurred") + " " + formatTime(entry.occurred_at)),
        h("span", null, t("feedRecorded") + " " + formatTime(entry.recorded_at)),
        canInspect ? h("button", { class: "link", type: "button", onclick: () => lookupAudit(entry.event_id, true) }, t("feedAudit")) : null));
  }

  function renderFeed() {
    $("feed").replaceChildren(...state.feed.map(feedItem));
    $("feed-empty").hidden = state.feed.length > 0;
  }


  return { renderLiveStatus, startLive, stopLive, addFeedEntry, renderFeed };
}
