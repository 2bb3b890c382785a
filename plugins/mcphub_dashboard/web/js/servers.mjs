// Servers: live status, add/edit/delete/toggle/reload, and each server's tools, prompts and
// resources with their switches and descriptions.
import { html, useState, useCallback } from "./lib.mjs";
import { get, post, put, del, enc, hubUrl } from "./api.mjs";
import {
  Page, Switch, Status, TextField, TextArea, Select, Check, Notice, ErrorNotice, CopyBlock,
  Empty, Spinner, ConfirmButton, useLoad, useInterval, parsePairs, formatPairs,
} from "./ui.mjs";

const TYPES = [
  ["stdio", "stdio (a local command)"],
  ["sse", "SSE (remote, legacy)"],
  ["streamable-http", "Streamable HTTP (remote)"],
  ["openapi", "OpenAPI (a REST API)"],
];

function typeOf(config) {
  if (config.type) return config.type;
  if (config.openapi) return "openapi";
  return config.url ? "sse" : "stdio";
}

function blankForm(server) {
  const c = server?.config || {};
  return {
    name: server?.name || "",
    type: typeOf(c),
    command: c.command || "",
    args: (c.args || []).join("\n"),
    env: formatPairs(c.env),
    url: c.url || c.openapi?.url || "",
    headers: formatPairs(c.headers, ":"),
    description: c.description || "",
    enabled: c.enabled !== false,
  };
}

function configOf(form, original = {}) {
  const config = { ...original, type: form.type, enabled: form.enabled };
  for (const key of ["command", "args", "env", "url", "headers", "openapi"]) delete config[key];
  if (form.description) config.description = form.description;
  else delete config.description;
  if (form.type === "stdio") {
    config.command = form.command.trim();
    config.args = form.args.split("\n").map((a) => a.trim()).filter(Boolean);
    const env = parsePairs(form.env);
    if (Object.keys(env).length) config.env = env;
  } else {
    const headers = parsePairs(form.headers, ":");
    if (Object.keys(headers).length) config.headers = headers;
    if (form.type === "openapi") config.openapi = { ...(original.openapi || {}), url: form.url.trim() };
    else config.url = form.url.trim();
  }
  return config;
}

/** Add (no `server`) or edit a server; one set of fields per transport type. */
export function ServerForm({ server, onDone, onCancel }) {
  const [form, setForm] = useState(blankForm(server));
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const set = (key) => (value) => setForm({ ...form, [key]: value });
  const fieldError = (...names) => {
    const errs = error?.fieldErrors || {};
    for (const n of names) if (errs[n] || errs[`config.${n}`]) return errs[n] || errs[`config.${n}`];
    // "Invalid server config: url must be …": the field the hub names, next to that field.
    const named = /config: (\w+) /.exec(error?.message || "")?.[1];
    return named && names.includes(named) ? error.message.split(": ").slice(1).join(": ") : undefined;
  };
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const config = configOf(form, server?.config);
      if (server) await put(`/api/servers/${enc(server.name)}`, { config });
      else await post("/api/servers", { name: form.name.trim(), config });
      onDone(form.name.trim());
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const remote = form.type !== "stdio";
  return html`<form class="card form" onSubmit=${submit}
      aria-label=${server ? `Edit server ${server.name}` : "Add a server"}>
    <h2>${server ? `Edit ${server.name}` : "Add a server"}</h2>
    <div class="grid">
      <${TextField} label="Name" value=${form.name} onInput=${set("name")} disabled=${!!server}
        error=${fieldError("name")} hint="Tools are named name-tool for clients" required />
      <${Select} label="Type" value=${form.type} onChange=${set("type")} options=${TYPES} error=${fieldError("type")} />
      ${!remote && html`
        <${TextField} label="Command" value=${form.command} onInput=${set("command")}
          error=${fieldError("command")} hint="For example npx, uvx or python" />
        <${TextArea} label="Arguments" value=${form.args} onInput=${set("args")} hint="One per line"
          error=${fieldError("args")} />
        <${TextArea} label="Environment" value=${form.env} onInput=${set("env")}
          hint="KEY=value, one per line; ${"${VAR}"} takes a variable of the hub" error=${fieldError("env")} />`}
      ${remote && html`
        <${TextField} label=${form.type === "openapi" ? "OpenAPI URL" : "URL"} type="url" value=${form.url}
          onInput=${set("url")} error=${fieldError("url", "openapi.url", "openapi")}
          hint=${form.type === "openapi" ? "Where the OpenAPI document is" : "The server's MCP endpoint"} wide />
        <${TextArea} label="Headers" value=${form.headers} onInput=${set("headers")}
          hint="Name: value, one per line" error=${fieldError("headers")} />`}
      <${TextField} label="Description" value=${form.description} onInput=${set("description")} wide />
      <${Check} label="Enabled (connect now)" checked=${form.enabled} onChange=${set("enabled")} />
    </div>
    <${ErrorNotice} error=${error} />
    <div class="actions">
      <button type="submit" disabled=${busy}>${busy ? "Saving…" : server ? "Save changes" : "Add server"}</button>
      <button type="button" class="secondary" onClick=${onCancel}>Cancel</button>
    </div>
  </form>`;
}

const KINDS = {
  tools: { label: "Tools", key: (i) => i.name, path: "tools" },
  prompts: { label: "Prompts", key: (i) => i.name, path: "prompts" },
  resources: { label: "Resources", key: (i) => i.uri, path: "resources" },
};

function ItemRow({ server, kind, item, onChanged }) {
  const name = KINDS[kind].key(item);
  const base = `/api/servers/${enc(server)}/${KINDS[kind].path}/${enc(name)}`;
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState(item.description || "");
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const run = async (action) => {
    setBusy(true);
    setError(null);
    try {
      await action();
      await onChanged();
      return true;
    } catch (err) {
      setError(err);
      return false;
    } finally {
      setBusy(false);
    }
  };
  const save = async (e) => {
    e.preventDefault();
    if (await run(() => put(`${base}/description`, { description: text }))) setEditing(false);
  };
  return html`<li class="item">
    <div class="item-main">
      <${Switch} label=${name} checked=${item.enabled !== false} busy=${busy}
        onChange=${(on) => run(() => post(`${base}/toggle`, { enabled: on }))} />
      <div class="item-text">
        <code class="item-name">${name}</code>
        ${!editing && html`<p class="muted">${item.description || "No description"}</p>`}
      </div>
      ${!editing && html`<div class="actions">
        <button type="button" class="secondary small" aria-label=${`Edit description of ${name}`}
          onClick=${() => { setText(item.description || ""); setEditing(true); }}>Edit</button>
        <button type="button" class="secondary small" aria-label=${`Reset description of ${name}`}
          onClick=${() => run(() => del(`${base}/description`))}>Reset</button>
      </div>`}
    </div>
    ${editing && html`<form class="inline-form" onSubmit=${save}>
      <${TextArea} label=${`Description of ${name}`} value=${text} onInput=${setText} rows="2" />
      <div class="actions">
        <button type="submit" class="small" disabled=${busy}>Save description</button>
        <button type="button" class="secondary small" onClick=${() => setEditing(false)}>Cancel</button>
      </div>
    </form>`}
    <${ErrorNotice} error=${error} />
  </li>`;
}

function Items({ server, onChanged }) {
  const [kind, setKind] = useState("tools");
  const items = server[kind] || [];
  return html`<div class="items">
    <div class="tabs" role="tablist" aria-label=${`Items of ${server.name}`}>
      ${Object.entries(KINDS).map(([k, { label }]) => html`<button type="button" role="tab"
        aria-selected=${k === kind} class=${k === kind ? "tab active" : "tab"}
        onClick=${() => setKind(k)}>${label} (${(server[k] || []).length})</button>`)}
    </div>
    <div role="tabpanel" aria-label=${`${KINDS[kind].label} of ${server.name}`}>
      ${items.length === 0
        ? html`<${Empty}>${server.status === "connected"
          ? `${server.name} offers no ${kind}.`
          : `The ${kind} appear once ${server.name} is connected.`}<//>`
        : html`<ul class="item-list">${items.map((item) => html`<${ItemRow} key=${KINDS[kind].key(item)}
            server=${server.name} kind=${kind} item=${item} onChanged=${onChanged} />`)}</ul>`}
    </div>
  </div>`;
}

function ServerCard({ server, onChanged, onEdit }) {
  const [open, setOpen] = useState(false);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState("");
  const name = server.name;
  const act = (label, action) => async () => {
    setBusy(label);
    setError(null);
    try {
      await action();
      await onChanged();
    } catch (err) {
      setError(err);
    } finally {
      setBusy("");
    }
  };
  const toolCount = (server.tools || []).length;
  return html`<article class="card server" aria-label=${`Server ${name}`}>
    <div class="server-head">
      <${Switch} label=${`Server ${name} enabled`} checked=${server.enabled !== false}
        busy=${busy === "toggle"}
        onChange=${(on) => act("toggle", () => post(`/api/servers/${enc(name)}/toggle`, { enabled: on }))()} />
      <h2 class="server-name">${name}</h2>
      <${Status} status=${server.enabled === false ? "disabled" : server.status} />
      ${server.status === "connecting" && server.enabled !== false && html`<${Spinner} label="" />`}
      <span class="muted">${typeOf(server.config || {})} · ${toolCount} tool${toolCount === 1 ? "" : "s"}</span>
      <div class="actions">
        <button type="button" class="secondary small" aria-expanded=${open}
          onClick=${() => setOpen(!open)}>${open ? `Hide items of ${name}` : `Tools of ${name}`}</button>
        <button type="button" class="secondary small" aria-label=${`Reload ${name}`}
          disabled=${!!busy} onClick=${act("reload", () => post(`/api/servers/${enc(name)}/reload`))}>
          ${busy === "reload" ? "Reloading…" : "Reload"}</button>
        <button type="button" class="secondary small" aria-label=${`Edit ${name}`} onClick=${() => onEdit(server)}>Edit</button>
        <${ConfirmButton} label=${`Delete ${name}`} confirmLabel=${`Yes, delete ${name}`}
          question=${`Delete ${name}?`} onConfirm=${act("delete", () => del(`/api/servers/${enc(name)}`))} />
      </div>
    </div>
    ${server.config?.description && html`<p class="muted">${server.config.description}</p>`}
    ${server.error && html`<p class="server-error"><strong>Error:</strong> ${server.error}</p>`}
    ${server.status === "oauth_required" && html`<p class="notice notice-info">This server needs
      an OAuth authorization before it connects.</p>`}
    <${ErrorNotice} error=${error} />
    ${open && html`<${Items} server=${server} onChanged=${onChanged} />`}
  </article>`;
}

function ConnectPanel({ servers }) {
  const first = servers[0]?.name || "server";
  const config = JSON.stringify({
    mcpServers: {
      mcphub: {
        type: "streamable-http",
        url: hubUrl("/mcp"),
        headers: { Authorization: "Bearer <a key from the Keys page>" },
      },
    },
  }, null, 2);
  return html`<details class="card connect">
    <summary>Connect an MCP client</summary>
    <p class="muted">Every enabled server's tools at one endpoint; a group or one server at its
      own. Clients authenticate with a bearer key (create one on the Keys page).</p>
    <div class="grid">
      <${CopyBlock} label="All servers" text=${hubUrl("/mcp")} />
      <${CopyBlock} label="One server" text=${hubUrl(`/mcp/${first}`)} />
      <${CopyBlock} label="Legacy SSE" text=${hubUrl("/sse")} />
    </div>
    <${CopyBlock} label="Client config" text=${config} multiline />
  </details>`;
}

export function ServersPage() {
  const { data, error, loading, reload } = useLoad(() => get("/api/servers"));
  const [form, setForm] = useState(null); // null, "new" or a server
  const [notice, setNotice] = useState("");
  const servers = data?.data || [];
  const connecting = servers.some((s) => s.enabled !== false && s.status === "connecting");
  useInterval(useCallback(() => reload(), [reload]), connecting ? 1000 : 5000);
  const done = async (name) => {
    setNotice(form === "new" ? `Server ${name} added; it connects in the background.` : `Server ${name} saved.`);
    setForm(null);
    await reload();
  };
  return html`<${Page} title="Servers"
    intro="Upstream MCP servers the hub connects to. Status refreshes by itself."
    actions=${html`<button type="button" onClick=${() => { setNotice(""); setForm("new"); }}>Add server</button>`}>
    <${Notice} kind="success">${notice}<//>
    ${form && html`<${ServerForm} key=${form === "new" ? "new" : form.name}
      server=${form === "new" ? null : form} onDone=${done} onCancel=${() => setForm(null)} />`}
    <${ErrorNotice} error=${error} />
    ${loading && !data && html`<${Spinner} label="Loading servers…" />`}
    ${data && servers.length === 0 && !form && html`<${Empty}>
      <p>No servers yet. Add one with <strong>Add server</strong> (a command such as
        <code>uvx mcp-server-time</code>, or the URL of a remote MCP server), or install one from
        the Market.</p><//>`}
    <div class="server-list">
      ${servers.map((s) => html`<${ServerCard} key=${s.name} server=${s} onChanged=${reload}
        onEdit=${(srv) => { setNotice(""); setForm(srv); scrollTo(0, 0); }} />`)}
    </div>
    ${servers.length > 0 && html`<${ConnectPanel} servers=${servers} />`}
  <//>`;
}
