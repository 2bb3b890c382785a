// Logs: the hub's log buffer, then live lines over server-sent events; filter, pause, clear.
import { html, useState, useEffect, useRef } from "./lib.mjs";
import { BASE, session, del } from "./api.mjs";
import { Page, TextField, Select, Notice, ErrorNotice, Empty } from "./ui.mjs";

const KEEP = 2000;
const LEVELS = [["", "All levels"], ["debug", "debug"], ["info", "info"], ["warn", "warning"], ["error", "error"]];

export function LogsPage() {
  const [lines, setLines] = useState([]);
  const [state, setState] = useState("connecting");
  const [paused, setPaused] = useState(false);
  const [held, setHeld] = useState([]);
  const [filter, setFilter] = useState("");
  const [level, setLevel] = useState("");
  const [error, setError] = useState(null);
  const pausedRef = useRef(false);
  pausedRef.current = paused;
  const listRef = useRef(null);
  const follow = useRef(true);
  useEffect(() => {
    // Follow the tail, unless the reader has scrolled up to read.
    const box = listRef.current;
    if (box && follow.current) box.scrollTop = box.scrollHeight;
  });
  const onScroll = (e) => {
    const box = e.currentTarget;
    follow.current = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  };

  useEffect(() => {
    const url = `${BASE}/api/logs/stream?token=${encodeURIComponent(session.token)}`;
    const source = new EventSource(url);
    source.addEventListener("open", () => setState("live"));
    source.addEventListener("error", () => setState("reconnecting"));
    source.addEventListener("initial", (e) => {
      setLines(JSON.parse(e.data).logs.slice(-KEEP));
      setState("live");
    });
    source.addEventListener("log", (e) => {
      const entry = JSON.parse(e.data).log;
      if (pausedRef.current) setHeld((h) => [...h, entry]);
      else setLines((l) => [...l.slice(-(KEEP - 1)), entry]);
    });
    return () => source.close();
  }, []);

  const resume = () => {
    setLines((l) => [...l, ...held].slice(-KEEP));
    setHeld([]);
    setPaused(false);
  };
  const clear = async () => {
    setError(null);
    try {
      await del("/api/logs");
      setLines([]);
      setHeld([]);
    } catch (err) {
      setError(err);
    }
  };
  const needle = filter.toLowerCase();
  const shown = lines.filter((l) => (!level || l.type === level) &&
    (!needle || `${l.source} ${l.message}`.toLowerCase().includes(needle)));
  return html`<${Page} title="Logs" intro="The hub's recent log lines; new ones arrive as they are written."
    actions=${html`
      <span class=${`status status-${state === "live" ? (paused ? "paused" : "connected") : "connecting"}`}>
        <span class="dot" aria-hidden="true"></span>${paused ? `paused (${held.length} waiting)` : state}</span>
      <button type="button" class="secondary" onClick=${paused ? resume : () => setPaused(true)}>
        ${paused ? "Resume" : "Pause"}</button>
      <button type="button" class="danger" onClick=${clear}>Clear logs</button>`}>
    <div class="filters">
      <${TextField} label="Filter logs" value=${filter} onInput=${setFilter} type="search" hint="Text in the source or message" />
      <${Select} label="Level" value=${level} onChange=${setLevel} options=${LEVELS} />
    </div>
    <${ErrorNotice} error=${error} />
    ${shown.length === 0
      ? html`<${Empty}>${lines.length ? "No line matches the filter." : "No log lines yet; they appear here as the hub writes them."}<//>`
      : html`<ol class="log" ref=${listRef} onScroll=${onScroll} aria-label="Log lines" aria-live=${paused ? "off" : "polite"} tabindex="0">
        ${shown.map((l, i) => html`<li key=${`${l.timestamp}-${i}`} class=${`log-${l.type}`}>
          <time>${new Date(l.timestamp).toLocaleTimeString([], { hour12: false })}</time>
          <span class="log-level">${l.type}</span>
          <span class="log-source">${l.source}</span>
          <span class="log-message">${l.message}</span></li>`)}
      </ol>`}
  <//>`;
}
