// Settings: system config sections, export/import of mcp_settings.json, change password.
import { html, useState } from "./lib.mjs";
import { get, post, put, session } from "./api.mjs";
import { Page, TextField, Select, Check, Notice, ErrorNotice, Spinner, useLoad } from "./ui.mjs";

// [key, label, kind, options]; kind: bool, text, number, secret, list, select.
const SECTIONS = [
  { key: "routing", title: "Routing", fields: [
    ["enableGlobalRoute", "Serve all servers at /mcp", "bool"],
    ["enableGroupNameRoute", "Groups reachable by name (/mcp/{group name})", "bool"],
    ["enableBearerAuth", "MCP clients need a bearer key", "bool"],
    ["bearerAuthHeaderName", "Bearer header name", "text"],
    ["jsonBodyLimit", "JSON body limit", "text"],
  ] },
  { key: "install", title: "Install", fields: [
    ["baseUrl", "Public base URL", "text"],
    ["pythonIndexUrl", "Python package index URL", "text"],
    ["npmRegistry", "npm registry URL", "text"],
  ] },
  { key: "smartRouting", title: "Smart routing", fields: [
    ["enabled", "Smart routing enabled ($smart endpoint)", "bool"],
    ["embeddingProvider", "Tool search provider", "select", [["lexical", "Lexical (built in, needs nothing)"], ["local", "Local embeddings"], ["openai", "OpenAI compatible"], ["azure_openai", "Azure OpenAI"]]],
    ["openaiApiBaseUrl", "Embeddings API base URL", "text"],
    ["openaiApiKey", "Embeddings API key", "secret"],
    ["openaiApiEmbeddingModel", "Embedding model", "text"],
    ["progressiveDisclosure", "Progressive disclosure (describe_tool step)", "bool"],
  ] },
  { key: "oauthServer", title: "OAuth server", fields: [
    ["enabled", "OAuth authorization server enabled", "bool"],
    ["accessTokenLifetime", "Access token lifetime (s)", "number"],
    ["refreshTokenLifetime", "Refresh token lifetime (s)", "number"],
    ["requireClientSecret", "Clients need a secret", "bool"],
    ["requireState", "Require the state parameter", "bool"],
    ["allowedScopes", "Allowed scopes (comma separated)", "list"],
  ] },
  { key: "mcpRouter", title: "MCPRouter (cloud market)", fields: [
    ["apiKey", "MCPRouter API key", "secret"],
    ["baseUrl", "MCPRouter base URL", "text"],
    ["referer", "Referer", "text"],
    ["title", "Title", "text"],
  ] },
  { key: "market", title: "Market catalog", fields: [
    ["url", "Catalog URL (a servers.json; empty: the shipped catalog)", "text"],
    ["refreshSeconds", "Refresh every (s)", "number"],
  ] },
  { key: "registry", title: "MCP registry", fields: [
    ["baseUrl", "Registry base URL (v0.1 API)", "text"],
  ] },
];

function SectionForm({ section, value, onSaved, extra }) {
  const [draft, setDraft] = useState(value || {});
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState("");
  const set = (key) => (v) => setDraft({ ...draft, [key]: v });
  const submit = async (e) => {
    e.preventDefault();
    setError(null);
    setSaved("");
    const body = {};
    for (const [key, , kind] of section.fields) {
      let v = draft[key];
      if (kind === "number") v = Number(v);
      if (kind === "list") v = Array.isArray(v) ? v : String(v || "").split(",").map((s) => s.trim()).filter(Boolean);
      body[key] = v;
    }
    try {
      await put("/api/system-config", { [section.key]: body });
      setSaved(`${section.title} saved.`);
      onSaved();
    } catch (err) {
      setError(err);
    }
  };
  const err = (key) => error?.fieldErrors?.[`${section.key}.${key}`];
  return html`<form class="card form" onSubmit=${submit} aria-labelledby=${`sec-${section.key}`}>
    <h2 id=${`sec-${section.key}`}>${section.title}</h2>
    <div class="grid">
      ${section.fields.map(([key, label, kind, options]) => {
        if (kind === "bool") return html`<${Check} label=${label} checked=${draft[key]} onChange=${set(key)} />`;
        if (kind === "select") return html`<${Select} label=${label} value=${draft[key]} onChange=${set(key)} options=${options} />`;
        const shown = kind === "list" && Array.isArray(draft[key]) ? draft[key].join(", ") : draft[key];
        return html`<${TextField} label=${label} value=${shown} onInput=${set(key)} error=${err(key)}
          type=${kind === "number" ? "number" : kind === "secret" ? "password" : "text"}
          autocomplete=${kind === "secret" ? "off" : undefined} />`;
      })}
    </div>
    <${ErrorNotice} error=${error} />
    <${Notice} kind="success">${saved}<//>
    <div class="actions"><button type="submit">Save ${section.title}</button>${extra}</div>
  </form>`;
}

function SmallSettings({ config, onSaved }) {
  const [separator, setSeparator] = useState(config.nameSeparator ?? "-");
  const [rebuild, setRebuild] = useState(!!config.enableSessionRebuild);
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState("");
  const submit = async (e) => {
    e.preventDefault();
    setError(null);
    setSaved("");
    try {
      await put("/api/system-config", { nameSeparator: separator, enableSessionRebuild: rebuild });
      setSaved("Names and sessions saved.");
      onSaved();
    } catch (err) {
      setError(err);
    }
  };
  return html`<form class="card form" onSubmit=${submit} aria-labelledby="sec-names">
    <h2 id="sec-names">Names and sessions</h2>
    <div class="grid">
      <${TextField} label="Name separator" value=${separator} onInput=${setSeparator}
        error=${error?.fieldErrors?.nameSeparator} hint="Between server and tool: time-get_current_time" />
      <${Check} label="Rebuild unknown MCP sessions" checked=${rebuild} onChange=${setRebuild} />
    </div>
    <${ErrorNotice} error=${error} />
    <${Notice} kind="success">${saved}<//>
    <div class="actions"><button type="submit">Save names and sessions</button></div>
  </form>`;
}

function Reindex() {
  const [state, setState] = useState({ busy: false, message: "", error: null });
  const run = async () => {
    setState({ busy: true, message: "", error: null });
    try {
      const reply = await post("/api/smart-routing/reindex");
      const done = reply.data ? `Tool index rebuilt: ${reply.data.tools} tools (${reply.data.provider}).` : reply.message;
      setState({ busy: false, message: done || "Tool index rebuilt.", error: null });
    } catch (error) {
      setState({ busy: false, message: "", error });
    }
  };
  return html`<button type="button" class="secondary" onClick=${run} disabled=${state.busy}>Rebuild tool index</button>
    ${state.busy && html`<${Spinner} label="Rebuilding the index…" />`}
    <${Notice} kind="success">${state.message}<//><${ErrorNotice} error=${state.error} />`;
}

function ExportImport() {
  const [status, setStatus] = useState("");
  const [error, setError] = useState(null);
  const download = async () => {
    setError(null);
    try {
      const reply = await get("/api/mcp-settings/export");
      const blob = new Blob([JSON.stringify(reply.data, null, 2)], { type: "application/json" });
      const link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = "mcp_settings.json";
      link.click();
      setTimeout(() => URL.revokeObjectURL(link.href), 1000);
      setStatus("mcp_settings.json downloaded (secrets masked).");
    } catch (err) {
      setError(err);
    }
  };
  const upload = async (e) => {
    const input = e.currentTarget;
    const file = input.files?.[0];
    if (!file) return;
    setError(null);
    setStatus(`Importing ${file.name}…`);
    try {
      const doc = JSON.parse(await file.text());
      const reply = await post("/api/templates/import", {
        servers: doc.mcpServers || doc.servers || {}, groups: doc.groups || [],
      });
      setStatus(`${file.name}: ${reply.message || "imported"}. Servers and groups that already exist are kept.`);
    } catch (err) {
      setStatus("");
      setError(err instanceof SyntaxError ? new Error(`${file.name} is not valid JSON`) : err);
    }
    input.value = "";
  };
  return html`<section class="card form" aria-labelledby="sec-export">
    <h2 id="sec-export">Export and import</h2>
    <p class="muted">The hub's configuration as MCPHub's mcp_settings.json. Importing adds the
      file's servers and groups that are missing here.</p>
    <div class="actions">
      <button type="button" onClick=${download}>Download mcp_settings.json</button>
      <label class="button secondary">Import a settings file
        <input type="file" accept="application/json,.json" class="visually-hidden" onChange=${upload} /></label>
    </div>
    <${Notice} kind="success">${status}<//><${ErrorNotice} error=${error} />
  </section>`;
}

function ChangePassword() {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [error, setError] = useState(null);
  const [done, setDone] = useState("");
  const submit = async (e) => {
    e.preventDefault();
    setError(null);
    setDone("");
    try {
      const reply = await post("/api/auth/change-password", { currentPassword: current, newPassword: next });
      const token = reply.token || reply.data?.token;
      if (token) session.set(token);
      setCurrent("");
      setNext("");
      setDone("Password changed. Other sessions of yours have ended.");
    } catch (err) {
      setError(err);
    }
  };
  return html`<form class="card form" onSubmit=${submit} aria-labelledby="sec-password">
    <h2 id="sec-password">Change your password</h2>
    <div class="grid">
      <${TextField} label="Current password" type="password" value=${current} onInput=${setCurrent} autocomplete="current-password" required />
      <${TextField} label="New password" type="password" value=${next} onInput=${setNext}
        autocomplete="new-password" error=${error?.fieldErrors?.newPassword} required />
    </div>
    <${ErrorNotice} error=${error} /><${Notice} kind="success">${done}<//>
    <div class="actions"><button type="submit">Change password</button></div>
  </form>`;
}

export function SettingsPage({ user, features }) {
  const settings = useLoad(() => (user.isAdmin ? get("/api/settings") : Promise.resolve(null)));
  const config = settings.data?.data?.systemConfig;
  return html`<${Page} title="Settings" intro="How the hub routes, installs, searches and signs in.">
    ${user.isAdmin && html`<${ErrorNotice} error=${settings.error} />
      ${!config && settings.loading && html`<${Spinner} label="Loading settings…" />`}
      ${config && html`<div class="sections">
        ${SECTIONS.map((s) => html`<${SectionForm} key=${s.key} section=${s} value=${config[s.key]}
          onSaved=${settings.reload} extra=${s.key === "smartRouting" && features.smartRouting ? html`<${Reindex} />` : null} />`)}
        <${SmallSettings} config=${config} onSaved=${settings.reload} />
        <${ExportImport} />
      </div>`}`}
    <${ChangePassword} />
  <//>`;
}
