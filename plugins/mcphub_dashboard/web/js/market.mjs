// Market: the local catalog, MCPRouter's cloud catalog and the official registry; install
// with the arguments a server asks for; upload an MCPB bundle.
import { html, useState } from "./lib.mjs";
import { get, post, api, enc } from "./api.mjs";
import { Page, TextField, Notice, ErrorNotice, Empty, Pending, Spinner, useLoad } from "./ui.mjs";

/** Installs go through the catalog's own install route: the hub builds the server config
 * from the entry and the values, so the page never guesses how an entry runs. */
const installLocal = (entry) => (serverName, values) =>
  post(`/api/market/servers/${enc(entry.name)}/install`, { name: serverName, arguments: values });

const installCloud = (entry) => (serverName, values) =>
  post(`/api/cloud/servers/${enc(entry.name)}/install`, { name: serverName, arguments: values });

const installRegistry = (server) => (serverName, values) =>
  post("/api/registry/servers/install", {
    serverName: server.name, version: server.version, name: serverName, arguments: values,
  });

function Install({ name, suggest, needs, install, onClose }) {
  const [serverName, setServerName] = useState(suggest || name.split("/").pop().replace(/[^A-Za-z0-9_.-]/g, "-"));
  const [values, setValues] = useState({});
  const [state, setState] = useState({ busy: false, error: null, done: "" });
  const submit = async (e) => {
    e.preventDefault();
    setState({ busy: true, error: null, done: "" });
    try {
      const reply = await install(serverName, values);
      const installed = reply.data?.name || serverName;
      setState({ busy: false, error: null, done: `${installed} installed; see it connect on the Servers page.` });
    } catch (error) {
      setState({ busy: false, error, done: "" });
    }
  };
  return html`<form class="inline-form" onSubmit=${submit} aria-label=${`Install ${name}`}>
    <div class="grid">
      <${TextField} label="Server name" value=${serverName} onInput=${setServerName} required />
      ${needs.map((n) => html`<${TextField} key=${n.name} label=${n.name} hint=${n.description}
        required=${n.required} value=${values[n.name] ?? ""} onInput=${(v) => setValues({ ...values, [n.name]: v })} />`)}
    </div>
    <${ErrorNotice} error=${state.error} /><${Notice} kind="success">${state.done}<//>
    <div class="actions">
      <button type="submit" disabled=${state.busy}>${state.busy ? "Installing…" : `Install ${serverName}`}</button>
      ${state.busy && html`<${Spinner} label="Installing…" />`}
      <button type="button" class="secondary" onClick=${onClose}>Close</button>
    </div>
  </form>`;
}

function Entry({ title, name, suggest, description, meta, needs, install }) {
  const [open, setOpen] = useState(false);
  return html`<li class="card entry">
    <div class="server-head"><h3 class="server-name">${title}</h3><span class="muted">${meta}</span>
      <div class="actions"><button type="button" class="small" aria-expanded=${open}
        onClick=${() => setOpen(!open)}>${open ? "Cancel" : `Install ${title}`}</button></div></div>
    <p class="muted">${description}</p>
    ${open && html`<${Install} name=${name} suggest=${suggest} needs=${needs} install=${install} onClose=${() => setOpen(false)} />`}
  </li>`;
}

function Local() {
  const [q, setQ] = useState("");
  const list = useLoad(() => get(q ? `/api/market/servers/search?query=${enc(q)}` : "/api/market/servers"), [q]);
  const rows = list.data?.data || [];
  return html`<${TextField} label="Search the local catalog" type="search" value=${q} onInput=${setQ} />
    <${ErrorNotice} error=${list.error} />
    ${list.loading && !list.data && html`<${Spinner} label="Loading the catalog…" />`}
    ${list.data && rows.length === 0 && html`<${Empty}>Nothing matches. The local catalog is the hub's servers.json.<//>`}
    <ul class="entries">${rows.map((e) => html`<${Entry} key=${e.name} title=${e.display_name || e.name} name=${e.name}
      description=${e.description} meta=${(e.categories || []).join(", ")}
      needs=${Object.entries(e.arguments || {}).map(([n, a]) => ({ name: n, description: a.description, required: a.required }))}
      install=${installLocal(e)} />`)}</ul>`;
}

function Cloud() {
  const list = useLoad(() => get("/api/cloud/servers"));
  const rows = list.data?.data || [];
  return html`<${ErrorNotice} error=${list.error} />
    ${list.loading && !list.data && html`<${Spinner} label="Loading MCPRouter's catalog…" />`}
    ${list.data && rows.length === 0 && html`<${Empty}>MCPRouter lists no servers. Set its API key under Settings.<//>`}
    <ul class="entries">${rows.map((e) => html`<${Entry} key=${e.server_key || e.name}
      title=${e.title || e.name} name=${e.name} suggest=${e.config_name} description=${e.description}
      meta=${`by ${e.author_name || "unknown"}`} needs=${[]} install=${installCloud(e)} />`)}</ul>`;
}

function Registry() {
  const [q, setQ] = useState("");
  const [cursor, setCursor] = useState("");
  const key = new URLSearchParams({ limit: "20", ...(q ? { search: q } : {}), ...(cursor ? { cursor } : {}) }).toString();
  const list = useLoad(() => get(`/api/registry/servers?${key}`), [key]);
  const rows = list.data?.data?.servers || [];
  const next = list.data?.data?.metadata?.nextCursor;
  return html`<${TextField} label="Search the registry" type="search" value=${q} onInput=${(v) => { setCursor(""); setQ(v); }} />
    <${ErrorNotice} error=${list.error} />
    ${list.loading && !list.data && html`<${Spinner} label="Asking the registry…" />`}
    ${list.data && rows.length === 0 && html`<${Empty}>The registry has no server matching that name.<//>`}
    <ul class="entries">${rows.map(({ server }) => html`<${Entry} key=${`${server.name}@${server.version}`}
      title=${server.title || server.name} name=${server.name} description=${server.description}
      meta=${`v${server.version}`}
      needs=${(server.packages?.[0]?.environmentVariables || []).map((v) => ({ name: v.name, description: v.description, required: v.isRequired }))}
      install=${installRegistry(server)} />`)}</ul>
    ${next && html`<button type="button" class="secondary" onClick=${() => setCursor(next)}>Next page</button>`}`;
}

function McpbUpload() {
  const [state, setState] = useState({ busy: false, error: null, done: "" });
  const submit = async (e) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setState({ busy: true, error: null, done: "" });
    try {
      const reply = await api("/api/mcpb/upload", { method: "POST", body: form });
      const server = reply.data?.server?.name || reply.data?.manifest?.name || "The bundle";
      setState({ busy: false, error: null, done: `${server} installed from the bundle; see it connect on the Servers page.` });
    } catch (error) {
      setState({ busy: false, error, done: "" });
    }
  };
  return html`<form class="card form" onSubmit=${submit} aria-labelledby="mcpb-title">
    <h2 id="mcpb-title">Upload an MCPB bundle</h2>
    <div class="field"><label for="mcpb-file">MCPB bundle (.mcpb)</label>
      <input id="mcpb-file" name="mcpbFile" type="file" accept=".mcpb" required /></div>
    <${ErrorNotice} error=${state.error} /><${Notice} kind="success">${state.done}<//>
    <div class="actions"><button type="submit" disabled=${state.busy}>Upload bundle</button>
      ${state.busy && html`<${Spinner} label="Uploading…" />`}</div>
  </form>`;
}

const TABS = [
  ["local", "Local", "market", Local, "The hub's own catalog (servers.json): search, categories, install with the arguments each server asks for."],
  ["cloud", "Cloud", "cloud", Cloud, "MCPRouter's hosted servers, once its API key is set under Settings."],
  ["registry", "Registry", "registry", Registry, "The official MCP registry: every published server and version, installable as a package or a remote."],
];

export function MarketPage({ features, user }) {
  const [tab, setTab] = useState(new URLSearchParams(location.search).get("tab") || "local");
  const current = TABS.find((t) => t[0] === tab) || TABS[0];
  const [, , family, View, promise] = current;
  return html`<${Page} title="Market" intro="Find MCP servers and install them in one step.">
    <div class="tabs" role="tablist" aria-label="Catalogs">
      ${TABS.map(([id, label]) => html`<button type="button" role="tab" aria-selected=${id === current[0]}
        class=${id === current[0] ? "tab active" : "tab"} onClick=${() => setTab(id)}>${label}</button>`)}
    </div>
    <div role="tabpanel" aria-label=${`${current[1]} catalog`}>
      ${features[family] ? html`<${View} key=${family} />` : html`<${Pending} title=${`${current[1]} catalog`}><p>${promise}</p><//>`}
    </div>
    ${!user?.isAdmin ? null : features.mcpb ? html`<${McpbUpload} />` : html`<${Pending} title="MCPB bundles"><p>Upload a
      .mcpb bundle here to unpack it and register its server.</p><//>`}
  <//>`;
}
