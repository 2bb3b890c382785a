// Shared pieces: loading data, switches, status words, fields, notices, copy buttons.
import { html, useState, useEffect, useCallback, useId } from "./lib.mjs";

/** Load with `fetcher` now and on `reload()`; keeps the last data while reloading. */
export function useLoad(fetcher, deps = []) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const load = useCallback(async () => {
    try {
      const data = await fetcher();
      setState({ data, error: null, loading: false });
    } catch (error) {
      setState((s) => ({ data: s.data, error, loading: false }));
    }
  }, deps);
  useEffect(() => {
    load();
  }, [load]);
  return { ...state, reload: load };
}

/** Run `tick` every `ms` while the tab is visible. */
export function useInterval(tick, ms) {
  useEffect(() => {
    if (!ms) return undefined;
    const id = setInterval(() => {
      if (document.visibilityState === "visible") tick();
    }, ms);
    return () => clearInterval(id);
  }, [tick, ms]);
}

export function Page({ title, intro, actions, children }) {
  // A new page takes the focus to its heading, so keyboard and screen-reader users start there.
  useEffect(() => {
    document.getElementById("page-title")?.focus({ preventScroll: true });
  }, []);
  return html`<section class="page" aria-labelledby="page-title">
    <header class="page-head">
      <div>
        <h1 id="page-title" tabindex="-1">${title}</h1>
        ${intro && html`<p class="muted">${intro}</p>`}
      </div>
      <div class="actions">${actions}</div>
    </header>
    ${children}
  </section>`;
}

/** An on/off switch; `label` is its accessible name and must name what it acts on. */
export function Switch({ label, checked, onChange, disabled, busy }) {
  return html`<label class="switch" title=${label}>
    <input type="checkbox" role="switch" aria-label=${label} checked=${!!checked}
      disabled=${disabled || busy} onChange=${(e) => onChange(e.currentTarget.checked)} />
    <span class="track" aria-hidden="true"></span>
  </label>`;
}

/** A server's state in words next to its colour. */
export function Status({ status }) {
  const word = status || "unknown";
  return html`<span class=${`status status-${word}`}>
    <span class="dot" aria-hidden="true"></span>${word}
  </span>`;
}

/** A labelled input; `error` (from the API) is shown under it and tied to it. */
export function Field({ label, error, hint, children, wide }) {
  const id = useId();
  const control = children(id, error ? `${id}-err` : hint ? `${id}-hint` : undefined);
  return html`<div class=${wide ? "field wide" : "field"}>
    <label for=${id}>${label}</label>
    ${control}
    ${hint && !error && html`<small id=${`${id}-hint`} class="muted">${hint}</small>`}
    ${error && html`<small id=${`${id}-err`} class="field-error">${error}</small>`}
  </div>`;
}

export function TextField({ label, value, onInput, error, hint, type = "text", wide, ...rest }) {
  return html`<${Field} label=${label} error=${error} hint=${hint} wide=${wide}>
    ${(id, described) => html`<input id=${id} type=${type} value=${value ?? ""}
      aria-invalid=${error ? "true" : undefined} aria-describedby=${described}
      onInput=${(e) => onInput(e.currentTarget.value)} ...${rest} />`}
  <//>`;
}

export function TextArea({ label, value, onInput, error, hint, rows = 3, wide = true }) {
  return html`<${Field} label=${label} error=${error} hint=${hint} wide=${wide}>
    ${(id, described) => html`<textarea id=${id} rows=${rows} value=${value ?? ""}
      aria-invalid=${error ? "true" : undefined} aria-describedby=${described}
      onInput=${(e) => onInput(e.currentTarget.value)}></textarea>`}
  <//>`;
}

export function Select({ label, value, onChange, options, error }) {
  return html`<${Field} label=${label} error=${error}>
    ${(id, described) => html`<select id=${id} value=${value} aria-describedby=${described}
      onChange=${(e) => onChange(e.currentTarget.value)}>
      ${options.map(([v, text]) => html`<option value=${v} selected=${v === value}>${text}</option>`)}
    </select>`}
  <//>`;
}

export function Check({ label, checked, onChange }) {
  return html`<label class="check">
    <input type="checkbox" checked=${!!checked} onChange=${(e) => onChange(e.currentTarget.checked)} />
    <span>${label}</span>
  </label>`;
}

/** A message: kind "error" is announced at once, others politely. */
export function Notice({ kind = "info", children }) {
  if (!children) return null;
  return html`<div class=${`notice notice-${kind}`} role=${kind === "error" ? "alert" : "status"}>
    ${children}
  </div>`;
}

export function ErrorNotice({ error }) {
  return error ? html`<${Notice} kind="error">${error.message || String(error)}<//>` : null;
}

/** Copies `text`; says so in its own label for a moment. */
export function CopyButton({ text, label = "Copy" }) {
  const [done, setDone] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      const area = document.createElement("textarea");
      area.value = text;
      document.body.append(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
    setDone(true);
    setTimeout(() => setDone(false), 1500);
  };
  return html`<button type="button" class="secondary small" onClick=${copy}>
    ${done ? "Copied" : label}
  </button>`;
}

/** Text to copy as it is (a URL, a config), with a copy button named after it. */
export function CopyBlock({ label, text, multiline }) {
  return html`<div class="copy-block">
    <div class="copy-head"><span class="copy-label">${label}</span>
      <${CopyButton} text=${text} label=${`Copy ${label.toLowerCase()}`} /></div>
    ${multiline ? html`<pre tabindex="0">${text}</pre>` : html`<code>${text}</code>`}
  </div>`;
}

export function Empty({ children }) {
  return html`<div class="empty">${children}</div>`;
}

/** What a page will do once its API family is installed: calm, not an error. */
export function Pending({ title, children }) {
  return html`<div class="pending" role="note">
    <h2>${title}</h2>
    ${children}
    <p class="muted">This hub does not serve that part of the API yet; the page fills in by
      itself once it does.</p>
  </div>`;
}

export function Spinner({ label }) {
  return html`<span class="spinner" role="status"><span class="spin" aria-hidden="true"></span>${label}</span>`;
}

/** A button that asks again inline before doing something that cannot be undone. */
export function ConfirmButton({ label, confirmLabel, onConfirm, question }) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return html`<button type="button" class="danger small" onClick=${() => setAsking(true)}>${label}</button>`;
  }
  return html`<span class="confirm" role="group" aria-label=${question}>
    <span>${question}</span>
    <button type="button" class="danger small" onClick=${() => { setAsking(false); onConfirm(); }}>${confirmLabel}</button>
    <button type="button" class="secondary small" onClick=${() => setAsking(false)}>Cancel</button>
  </span>`;
}

/** Lines "KEY=value" (or "Name: value" with sep ":") to an object and back. */
export function parsePairs(text, sep = "=") {
  const out = {};
  for (const line of (text || "").split("\n")) {
    const at = line.indexOf(sep);
    if (at > 0) out[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return out;
}
export function formatPairs(obj, sep = "=") {
  return Object.entries(obj || {}).map(([k, v]) => `${k}${sep}${sep === ":" ? " " : ""}${v}`).join("\n");
}

export function when(timestamp) {
  if (!timestamp) return "";
  const date = new Date(timestamp);
  return Number.isNaN(date.getTime()) ? String(timestamp) : date.toLocaleString();
}
