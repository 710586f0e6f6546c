// The dashboard's service worker: it keeps the app shell (the page, its
// scripts, style and icon) so the dashboard opens with no network, and
// the entry form can keep entries in its outbox. It never touches the API:
// requests under /api/ go to the network as they are, and nothing with a
// token, and no address with a query (a sign-in link carries the token),
// is ever stored.

const CACHE = "ledger-shell-v3";
const SHELL = ["/", "/index.html", "/style.css", "/icon.svg", "/manifest.webmanifest", "/app.js", "/api.js", "/dom.js",
  "/entry.js", "/errors.js", "/finance.js", "/format.js", "/live.js", "/outbox.js", "/sheets.js", "/texts.js", "/totals.js", "/trends.js"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((name) => name !== CACHE).map((name) => caches.delete(name))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin || url.pathname.startsWith("/api/")) return;
  // The shell is stored under its path alone: never the query, which may
  // hold a token.
  const key = event.request.mode === "navigate" ? "/index.html" : url.pathname;
  event.respondWith(fetch(event.request)
    .then((response) => {
      if (response.ok) {
        const copy = response.clone();
        caches.open(CACHE).then((cache) => cache.put(key, copy));
      }
      return response;
    })
    .catch(() => caches.match(key).then((cached) => cached || Response.error())));
});
