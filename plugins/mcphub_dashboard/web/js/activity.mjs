// Activity: every tool call with its server, status and duration; filters and totals.
import { html, useState } from "./lib.mjs";
import { get, del } from "./api.mjs";
import { Page, TextField, Select, Notice, ErrorNotice, Empty, Pending, Spinner, useLoad, when } from "./ui.mjs";

const STATUS = [["", "Any status"], ["success", "success"], ["error", "error"]];

function query(filters, page) {
  const q = new URLSearchParams({ page: String(page), limit: "25" });
  for (const [k, v] of Object.entries(filters)) if (v) q.set(k, v);
  return q.toString();
}

function Activities({ admin }) {
  const [filters, setFilters] = useState({ server: "", tool: "", status: "" });
  const [page, setPage] = useState(1);
  const [notice, setNotice] = useState("");
  const key = query(filters, page);
  const list = useLoad(() => get(`/api/activities?${key}`), [key]);
  const stats = useLoad(() => get(`/api/activities/stats?${query(filters, 1)}`), [key]);
  const set = (k) => (v) => { setPage(1); setFilters({ ...filters, [k]: v }); };
  const s = stats.data?.data;
  const rows = list.data?.data || [];
  const pages = list.data?.pagination;
  const cleanup = async () => {
    try {
      const reply = await del("/api/activities/cleanup?daysOld=30");
      setNotice(`${reply.data?.deletedCount ?? 0} records older than 30 days removed.`);
      list.reload();
      stats.reload();
    } catch (err) {
      setNotice(err.message);
    }
  };
  return html`
    <div class="stats">
      <div class="stat"><span>Calls</span><strong>${s?.totalCalls ?? "…"}</strong></div>
      <div class="stat"><span>Succeeded</span><strong>${s?.successCount ?? "…"}</strong></div>
      <div class="stat"><span>Failed</span><strong>${s?.errorCount ?? "…"}</strong></div>
      <div class="stat"><span>Average duration</span><strong>${s ? `${s.avgDuration} ms` : "…"}</strong></div>
    </div>
    <div class="filters">
      <${TextField} label="Server" value=${filters.server} onInput=${set("server")} type="search" />
      <${TextField} label="Tool" value=${filters.tool} onInput=${set("tool")} type="search" />
      <${Select} label="Status" value=${filters.status} onChange=${set("status")} options=${STATUS} />
      ${admin && html`<button type="button" class="secondary" onClick=${cleanup}>Remove records older than 30 days</button>`}
    </div>
    <${Notice}>${notice}<//>
    <${ErrorNotice} error=${list.error} />
    ${list.loading && !list.data && html`<${Spinner} label="Loading activity…" />`}
    ${list.data && rows.length === 0 && html`<${Empty}>No tool calls recorded${filters.server || filters.tool || filters.status ? " for these filters" : " yet: they appear here when a client calls a tool"}.<//>`}
    ${rows.length > 0 && html`<div class="table-wrap"><table>
      <caption class="visually-hidden">Tool calls, newest first</caption>
      <thead><tr><th scope="col">When</th><th scope="col">Server</th><th scope="col">Tool</th>
        <th scope="col">Status</th><th scope="col">Duration</th><th scope="col">Group</th><th scope="col">Key</th></tr></thead>
      <tbody>${rows.map((r) => html`<tr key=${r.id}>
        <td>${when(r.timestamp)}</td><td>${r.server}</td><td><code>${r.tool}</code></td>
        <td><span class=${`status status-${r.status === "success" ? "connected" : "disconnected"}`}>
          <span class="dot" aria-hidden="true"></span>${r.status}</span>
          ${r.errorMessage && html`<div class="muted">${r.errorMessage}</div>`}</td>
        <td>${r.duration} ms</td><td>${r.group || ""}</td><td>${r.keyName || ""}</td></tr>`)}</tbody>
    </table></div>`}
    ${pages && pages.totalPages > 1 && html`<nav class="pager" aria-label="Activity pages">
      <button type="button" class="secondary small" disabled=${!pages.hasPrevPage} onClick=${() => setPage(page - 1)}>Previous page</button>
      <span>Page ${pages.page} of ${pages.totalPages}</span>
      <button type="button" class="secondary small" disabled=${!pages.hasNextPage} onClick=${() => setPage(page + 1)}>Next page</button>
    </nav>`}`;
}

/** The history is kept by stores with a database; a settings-file hub says so calmly. */
function Kept({ admin }) {
  const available = useLoad(() => get("/api/activities/available"));
  if (available.error) return html`<${ErrorNotice} error=${available.error} />`;
  if (!available.data) return html`<${Spinner} label="Loading activity…" />`;
  return available.data.data?.available ? html`<${Activities} admin=${admin} />` : html`<div class="pending" role="note">
    <h2>Tool-call history</h2><p>This hub keeps its settings in a file, so it keeps no tool-call
      history. Run it with the SQLite or PostgreSQL store to see every call here.</p></div>`;
}

export function ActivityPage({ features, user }) {
  return html`<${Page} title="Activity" intro="A record of every tool call made through the hub.">
    ${features.activities ? html`<${Kept} admin=${!!user?.isAdmin} />` : html`<${Pending} title="Tool-call history">
      <p>This page will list every tool call made through the hub (when, which server and tool,
        success or error, how long it took, through which group and key), with filters, totals
        and a clean-up of old records.</p><//>`}
  <//>`;
}
