// The API client: every request carries the signed-in token, and every
// failure becomes an ApiError with the API's code, message and violations.

export class ApiError extends Error {
  constructor(status, code, message, violations, body) {
    super(message);
    this.status = status;
    this.code = code;
    this.violations = violations || [];
    // reason names which refusal of its code this is, where the page
    // words it itself (the personal-data grant); "" for the rest.
    this.reason = (body && body.error && body.error.reason) || "";
    // body is the whole answer, for the few that carry more than the error
    // (a spreadsheet import names every row).
    this.body = body || null;
  }
}

// apiClient returns api(path, options): options.method, options.body (JSON
// text, or a file's bytes with options.contentType). token gives the token
// to send; networkError the message when the server cannot be reached.
export function apiClient(token, networkError) {
  return async function api(path, options) {
    options = options || {};
    const headers = { Accept: "application/json", Authorization: "Bearer " + token() };
    if (options.body !== undefined) headers["Content-Type"] = options.contentType || "application/json";
    let response;
    try {
      response = await fetch(path, { method: options.method || "GET", headers, body: options.body, cache: "no-store" });
    } catch (err) {
      throw new ApiError(0, "network", networkError(), []);
    }
    const text = await response.text();
    let body = null;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch (err) {
        body = null;
      }
    }
    if (!response.ok) {
      const failure = body && body.error ? body.error : {};
      throw new ApiError(response.status, failure.code || "http_" + response.status,
        failure.message || response.status + " " + response.statusText, failure.violations, body);
    }
    return { status: response.status, body };
  };
}
