// The hub's REST API, called with the login token (header x-auth-token).

const meta = (name) => document.querySelector(`meta[name="${name}"]`)?.content ?? "";

/** BASE_PATH of the hub ("" at the root); every URL the dashboard builds starts with it. */
export const BASE = meta("mcphub-base");
const TOKEN_KEY = "mcphub_token";

export const session = {
  token: localStorage.getItem(TOKEN_KEY) || "",
  set(token) {
    this.token = token;
    localStorage.setItem(TOKEN_KEY, token);
  },
  clear() {
    this.token = "";
    localStorage.removeItem(TOKEN_KEY);
  },
};

/** An API answer that was not a success: its status, the hub's message and field errors. */
export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
    this.fieldErrors = Object.fromEntries(
      (body?.errors || []).map((e) => [e.field, e.message]),
    );
  }
}

const expiredListeners = new Set();
/** Called with the hub's message when a request is refused because the token stopped working. */
export function onExpired(listener) {
  expiredListeners.add(listener);
  return () => expiredListeners.delete(listener);
}

/** JSON in, the envelope out; throws ApiError when the hub says no. */
export async function api(path, { method = "GET", body } = {}) {
  const headers = {};
  if (session.token) headers["x-auth-token"] = session.token;
  let payload;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(BASE + path, { method, headers, body: payload });
  } catch (err) {
    throw new ApiError(0, `The hub cannot be reached (${err.message})`, null);
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (response.status === 401 && session.token && path !== "/api/auth/login") {
    session.clear();
    session.ended = data?.message || "the token is no longer valid";
    for (const listener of expiredListeners) listener(data?.message || "");
  }
  if (!response.ok || data?.success === false) {
    const message = data?.message || `${response.status} ${response.statusText}`;
    throw new ApiError(response.status, message, data);
  }
  return data;
}

const early = new Map();
/** Start a GET now (while the shell is still starting) for the page that will ask for it. */
export function prefetch(path) {
  const request = api(path);
  request.catch(() => {}); // the page that takes it reports the failure
  early.set(path, request);
}

/** GET `path`; the first call after a prefetch of it takes the prefetched answer. */
export function get(path) {
  const request = early.get(path);
  early.delete(path);
  return request || api(path);
}
export const post = (path, body = {}) => api(path, { method: "POST", body });
export const put = (path, body = {}) => api(path, { method: "PUT", body });
export const del = (path) => api(path, { method: "DELETE" });
export const enc = encodeURIComponent;

/** The hub's public address as a client would use it (origin plus BASE_PATH). */
export const hubUrl = (path = "") => `${location.origin}${BASE}${path}`;
