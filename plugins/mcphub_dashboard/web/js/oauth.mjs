// OAuth clients of the hub's own authorization server (MCP clients that sign in with OAuth).
import { html, useState } from "./lib.mjs";
import { get, post, del, enc } from "./api.mjs";
import {
  Page, TextField, TextArea, ErrorNotice, CopyBlock, Empty, Pending, Spinner, ConfirmButton, useLoad,
} from "./ui.mjs";

function Clients() {
  const list = useLoad(() => get("/api/oauth/clients"));
  const [draft, setDraft] = useState(null);
  const [secret, setSecret] = useState(null);
  const [error, setError] = useState(null);
  const rows = list.data?.clients || list.data?.data || [];
  const run = async (action) => {
    setError(null);
    try {
      const reply = await action();
      await list.reload();
      return reply;
    } catch (err) {
      setError(err);
      return null;
    }
  };
  const submit = async (e) => {
    e.preventDefault();
    const reply = await run(() => post("/api/oauth/clients", {
      name: draft.name.trim(), redirectUris: draft.uris.split("\n").map((u) => u.trim()).filter(Boolean),
    }));
    if (reply) {
      setDraft(null);
      const client = reply.client || reply.data;
      if (client?.clientSecret) setSecret({ name: client.name, id: client.clientId, secret: client.clientSecret });
    }
  };
  return html`
    ${!draft && html`<div class="actions"><button type="button" onClick=${() => setDraft({ name: "", uris: "" })}>Create client</button></div>`}
    ${secret && html`<section class="card token"><h2>Client ${secret.name} created</h2>
      <p><strong>Copy the secret now: it is not shown again.</strong></p>
      <${CopyBlock} label="Client ID" text=${secret.id} /><${CopyBlock} label="Client secret" text=${secret.secret} />
      <button type="button" class="secondary" onClick=${() => setSecret(null)}>I have copied it</button></section>`}
    ${draft && html`<form class="card form" onSubmit=${submit} aria-label="Create an OAuth client">
      <div class="grid"><${TextField} label="Client name" value=${draft.name} onInput=${(v) => setDraft({ ...draft, name: v })} required />
      <${TextArea} label="Redirect URIs" hint="One per line" value=${draft.uris} onInput=${(v) => setDraft({ ...draft, uris: v })} /></div>
      <div class="actions"><button type="submit">Save client</button>
        <button type="button" class="secondary" onClick=${() => setDraft(null)}>Cancel</button></div></form>`}
    <${ErrorNotice} error=${list.error || error} />
    ${list.loading && !list.data && html`<${Spinner} label="Loading clients…" />`}
    ${list.data && rows.length === 0 && html`<${Empty}>No OAuth clients. MCP clients can also register themselves (dynamic registration, under Settings).<//>`}
    ${rows.length > 0 && html`<ul class="card rows">${rows.map((c) => html`<li class="row" key=${c.clientId}>
      <div class="row-main"><strong>${c.name}</strong><code class="muted">${c.clientId}</code>
        <span class="muted">${(c.redirectUris || []).join(", ")}</span>
        <div class="actions"><${ConfirmButton} label=${`Delete client ${c.name}`} confirmLabel=${`Yes, delete ${c.name}`}
          question=${`Delete client ${c.name}?`} onConfirm=${() => run(() => del(`/api/oauth/clients/${enc(c.clientId)}`))} /></div>
      </div></li>`)}</ul>`}`;
}

export function OAuthClientsPage({ features }) {
  return html`<${Page} title="OAuth clients" intro="Applications that sign in to the hub with OAuth instead of a bearer key.">
    ${features.oauthClients ? html`<${Clients} />` : html`<${Pending} title="OAuth clients">
      <p>This page will list the clients of the hub's OAuth authorization server, create one
        (name and redirect URIs, its secret shown once), regenerate a secret and delete a client.
        Until then, MCP clients connect with a bearer key from the Keys page.</p><//>`}
  <//>`;
}
