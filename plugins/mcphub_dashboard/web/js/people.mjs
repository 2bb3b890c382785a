// Users (admins only) and bearer keys: a key's token is shown once, with a copy button and a
// ready-to-paste client config.
import { html, useState } from "./lib.mjs";
import { get, post, put, del, enc, hubUrl } from "./api.mjs";
import {
  Page, Switch, TextField, Select, Check, Notice, ErrorNotice, CopyBlock, Empty, Spinner,
  ConfirmButton, useLoad,
} from "./ui.mjs";

function NewUserForm({ onDone, onCancel }) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [isAdmin, setIsAdmin] = useState(false);
  const [error, setError] = useState(null);
  const submit = async (e) => {
    e.preventDefault();
    setError(null);
    try {
      await post("/api/users", { username: username.trim(), password, isAdmin });
      onDone(username.trim());
    } catch (err) {
      setError(err);
    }
  };
  return html`<form class="card form" onSubmit=${submit} aria-label="Create a user">
    <h2>Create a user</h2>
    <div class="grid">
      <${TextField} label="Username" value=${username} onInput=${setUsername} error=${error?.fieldErrors?.username} required />
      <${TextField} label="Password" type="password" value=${password} onInput=${setPassword}
        error=${error?.fieldErrors?.password} autocomplete="new-password" required />
      <${Check} label="Administrator" checked=${isAdmin} onChange=${setIsAdmin} />
    </div>
    <${ErrorNotice} error=${error} />
    <div class="actions"><button type="submit">Create user</button>
      <button type="button" class="secondary" onClick=${onCancel}>Cancel</button></div>
  </form>`;
}

function UserRow({ user, me, onChanged }) {
  const [error, setError] = useState(null);
  const [password, setPassword] = useState(null);
  const run = async (action, done) => {
    setError(null);
    try {
      await action();
      done?.();
      await onChanged();
    } catch (err) {
      setError(err);
    }
  };
  const name = user.username;
  return html`<li class="row">
    <div class="row-main">
      <strong>${name}</strong>${name === me && html` <span class="muted">(you)</span>`}
      <span class="muted">${user.isAdmin ? "administrator" : "user"}</span>
      <div class="actions">
        <${Switch} label=${`${name} is an administrator`} checked=${user.isAdmin}
          onChange=${(on) => run(() => put(`/api/users/${enc(name)}`, { isAdmin: on }))} />
        <button type="button" class="secondary small" aria-label=${`Set password of ${name}`}
          onClick=${() => setPassword(password === null ? "" : null)}>Set password</button>
        <${ConfirmButton} label=${`Delete ${name}`} confirmLabel=${`Yes, delete ${name}`}
          question=${`Delete user ${name}?`} onConfirm=${() => run(() => del(`/api/users/${enc(name)}`))} />
      </div>
    </div>
    ${password !== null && html`<form class="inline-form" onSubmit=${(e) => {
      e.preventDefault();
      run(() => put(`/api/users/${enc(name)}`, { newPassword: password }), () => setPassword(null));
    }}>
      <${TextField} label=${`New password of ${name}`} type="password" value=${password}
        onInput=${setPassword} autocomplete="new-password" />
      <div class="actions"><button type="submit" class="small">Save password</button></div>
    </form>`}
    <${ErrorNotice} error=${error} />
  </li>`;
}

export function UsersPage({ user }) {
  const users = useLoad(() => get("/api/users"));
  const [adding, setAdding] = useState(false);
  const [notice, setNotice] = useState("");
  const list = users.data?.data || [];
  return html`<${Page} title="Users" intro="People who log in to the dashboard and the API."
    actions=${html`<button type="button" onClick=${() => { setNotice(""); setAdding(true); }}>Create user</button>`}>
    <${Notice} kind="success">${notice}<//>
    <${ErrorNotice} error=${users.error} />
    ${adding && html`<${NewUserForm} onCancel=${() => setAdding(false)} onDone=${async (name) => {
      setAdding(false);
      setNotice(`User ${name} created.`);
      await users.reload();
    }} />`}
    ${users.loading && !users.data && html`<${Spinner} label="Loading users…" />`}
    <ul class="card rows">${list.map((u) => html`<${UserRow} key=${u.username} user=${u} me=${user.username}
      onChanged=${users.reload} />`)}</ul>
  <//>`;
}

const ACCESS = [
  ["all", "All servers and groups"],
  ["groups", "Some groups"],
  ["servers", "Some servers"],
];

function NewKeyForm({ groups, servers, onCreated, onCancel }) {
  const [name, setName] = useState("");
  const [accessType, setAccessType] = useState("all");
  const [chosen, setChosen] = useState(new Set());
  const [error, setError] = useState(null);
  const choices = accessType === "groups" ? groups.map((g) => g.name) : servers.map((s) => s.name);
  const flip = (value, on) => {
    const next = new Set(chosen);
    if (on) next.add(value);
    else next.delete(value);
    setChosen(next);
  };
  const submit = async (e) => {
    e.preventDefault();
    setError(null);
    const body = { name: name.trim(), accessType };
    if (accessType === "groups") body.allowedGroups = [...chosen];
    if (accessType === "servers") body.allowedServers = [...chosen];
    try {
      const reply = await post("/api/auth/keys", body);
      onCreated(reply.data);
    } catch (err) {
      setError(err);
    }
  };
  return html`<form class="card form" onSubmit=${submit} aria-label="Create a key">
    <h2>Create a key</h2>
    <div class="grid">
      <${TextField} label="Key name" value=${name} onInput=${setName} error=${error?.fieldErrors?.name}
        hint="Who or what uses it, e.g. laptop-claude" required />
      <${Select} label="Scope" value=${accessType} onChange=${(v) => { setAccessType(v); setChosen(new Set()); }}
        options=${ACCESS} error=${error?.fieldErrors?.accessType} />
    </div>
    ${accessType !== "all" && html`<fieldset><legend>${accessType === "groups" ? "Allowed groups" : "Allowed servers"}</legend>
      ${choices.length === 0 && html`<p class="muted">None exist yet.</p>`}
      <div class="checks">${choices.map((c) => html`<${Check} label=${c} checked=${chosen.has(c)}
        onChange=${(on) => flip(c, on)} />`)}</div></fieldset>`}
    <${ErrorNotice} error=${error} />
    <div class="actions"><button type="submit">Create key</button>
      <button type="button" class="secondary" onClick=${onCancel}>Cancel</button></div>
  </form>`;
}

function NewToken({ made, onClose }) {
  const scope = made.accessType === "groups" && made.allowedGroups?.length === 1
    ? `/mcp/${made.allowedGroups[0]}` : made.accessType === "servers" && made.allowedServers?.length === 1
      ? `/mcp/${made.allowedServers[0]}` : "/mcp";
  const config = JSON.stringify({
    mcpServers: { mcphub: { type: "streamable-http", url: hubUrl(scope), headers: { Authorization: `Bearer ${made.token}` } } },
  }, null, 2);
  return html`<section class="card token" aria-label=${`New key ${made.name}`}>
    <h2>Key ${made.name} created</h2>
    <p><strong>Copy the token now: it is not shown again.</strong> The hub keeps only its hash.</p>
    <${CopyBlock} label="Token" text=${made.token} />
    <${CopyBlock} label="Client config" text=${config} multiline />
    <div class="actions"><button type="button" class="secondary" onClick=${onClose}>I have copied it</button></div>
  </section>`;
}

export function KeysPage() {
  const keys = useLoad(() => get("/api/auth/keys"));
  const groups = useLoad(() => get("/api/groups"));
  const servers = useLoad(() => get("/api/servers"));
  const [adding, setAdding] = useState(false);
  const [made, setMade] = useState(null);
  const [error, setError] = useState(null);
  const list = keys.data?.data || [];
  const run = async (action) => {
    setError(null);
    try {
      await action();
      await keys.reload();
    } catch (err) {
      setError(err);
    }
  };
  return html`<${Page} title="Keys" intro="Bearer keys let MCP clients and scripts call the hub."
    actions=${html`<button type="button" onClick=${() => { setMade(null); setAdding(true); }}>Create key</button>`}>
    ${made && html`<${NewToken} made=${made} onClose=${() => setMade(null)} />`}
    ${adding && html`<${NewKeyForm} groups=${groups.data?.data || []} servers=${servers.data?.data || []}
      onCancel=${() => setAdding(false)} onCreated=${async (key) => {
        setAdding(false);
        setMade(key);
        await keys.reload();
      }} />`}
    <${ErrorNotice} error=${keys.error || error} />
    ${keys.loading && !keys.data && html`<${Spinner} label="Loading keys…" />`}
    ${keys.data && list.length === 0 && !adding && !made && html`<${Empty}>No keys yet. Create one and
      paste its client config into your MCP client.<//>`}
    ${list.length > 0 && html`<ul class="card rows">${list.map((k) => html`<li class="row" key=${k.id}>
      <div class="row-main">
        <${Switch} label=${`Key ${k.name} enabled`} checked=${k.enabled}
          onChange=${(on) => run(() => put(`/api/auth/keys/${enc(k.id)}`, { enabled: on }))} />
        <strong>${k.name}</strong>
        <code class="muted">${k.tokenHint || ""}</code>
        <span class="muted">${k.accessType === "all" ? "all servers"
          : k.accessType === "groups" ? `groups: ${(k.allowedGroups || []).join(", ")}`
            : k.accessType === "servers" ? `servers: ${(k.allowedServers || []).join(", ")}` : k.accessType}</span>
        <div class="actions"><${ConfirmButton} label=${`Delete key ${k.name}`} confirmLabel=${`Yes, delete ${k.name}`}
          question=${`Delete key ${k.name}?`} onConfirm=${() => run(() => del(`/api/auth/keys/${enc(k.id)}`))} /></div>
      </div></li>`)}</ul>`}
  <//>`;
}
