// The hub's own prompts and resources (not from an upstream): create, enable, delete.
import { html, useState } from "./lib.mjs";
import { get, post, put, del, enc } from "./api.mjs";
import {
  Page, Switch, TextField, TextArea, Notice, ErrorNotice, Empty, Spinner, ConfirmButton, useLoad,
} from "./ui.mjs";

function List({ path, noun, label, describe, load, blank, fields, toBody }) {
  const list = useLoad(() => get(path));
  const [draft, setDraft] = useState(null);
  const [error, setError] = useState(null);
  const [notice, setNotice] = useState("");
  const rows = list.data?.data || [];
  const run = async (action, done) => {
    setError(null);
    try {
      await action();
      if (done) setNotice(done);
      await list.reload();
      return true;
    } catch (err) {
      setError(err);
      return false;
    }
  };
  const submit = async (e) => {
    e.preventDefault();
    if (await run(() => post(path, toBody(draft)), `${noun} ${label(draft)} created.`)) setDraft(null);
  };
  return html`${!draft && html`<div class="actions"><button type="button"
      onClick=${() => { setNotice(""); setDraft(blank); }}>Create ${noun.toLowerCase()}</button></div>`}
    <${Notice} kind="success">${notice}<//>
    ${draft && html`<form class="card form" onSubmit=${submit} aria-label=${`Create a ${noun.toLowerCase()}`}>
      <h2>Create a ${noun.toLowerCase()}</h2>
      <div class="grid">${fields(draft, (k) => (v) => setDraft({ ...draft, [k]: v }), error?.fieldErrors || {})}</div>
      <${ErrorNotice} error=${error} />
      <div class="actions"><button type="submit">Save ${noun.toLowerCase()}</button>
        <button type="button" class="secondary" onClick=${() => setDraft(null)}>Cancel</button></div>
    </form>`}
    ${!draft && html`<${ErrorNotice} error=${list.error || error} />`}
    ${list.loading && !list.data && html`<${Spinner} label="Loading…" />`}
    ${list.data && rows.length === 0 && !draft && html`<${Empty}>${load}<//>`}
    ${rows.length > 0 && html`<ul class="card rows">${rows.map((item) => html`<li class="row" key=${item.id}>
      <div class="row-main">
        <${Switch} label=${label(item)} checked=${item.enabled}
          onChange=${(on) => run(() => put(`${path}/${enc(item.id)}`, { enabled: on }))} />
        <div class="item-text"><code class="item-name">${label(item)}</code>
          <p class="muted">${describe(item)}</p></div>
        <div class="actions"><${ConfirmButton} label=${`Delete ${label(item)}`} confirmLabel=${`Yes, delete ${label(item)}`}
          question=${`Delete ${label(item)}?`} onConfirm=${() => run(() => del(`${path}/${enc(item.id)}`), `${noun} deleted.`)} /></div>
      </div></li>`)}</ul>`}`;
}

export function PromptsPage() {
  return html`<${Page} title="Prompts" intro="Prompts the hub itself offers to every MCP client, beside the upstreams' own.">
    <${List} path="/api/prompts" noun="Prompt" label=${(p) => p.name}
      describe=${(p) => p.description || p.template}
      load="No built-in prompts yet. A prompt is a template such as “Summarise {{topic}}”; clients fill in its arguments."
      blank=${{ name: "", description: "", template: "", args: "" }}
      fields=${(d, set, errs) => html`
        <${TextField} label="Prompt name" value=${d.name} onInput=${set("name")} error=${errs.name} required />
        <${TextField} label="Description" value=${d.description} onInput=${set("description")} />
        <${TextArea} label="Template" value=${d.template} onInput=${set("template")} error=${errs.template}
          hint="Use {{name}} for an argument" />
        <${TextField} label="Arguments" value=${d.args} onInput=${set("args")} hint="Names, comma separated" />`}
      toBody=${(d) => ({
        name: d.name.trim(), description: d.description, template: d.template,
        arguments: d.args.split(",").map((a) => a.trim()).filter(Boolean).map((name) => ({ name, required: true })),
      })} />
  <//>`;
}

export function ResourcesPage() {
  return html`<${Page} title="Resources" intro="Static resources the hub itself offers to every MCP client.">
    <${List} path="/api/resources" noun="Resource" label=${(r) => r.uri}
      describe=${(r) => [r.name, r.mimeType].filter(Boolean).join(" · ")}
      load="No built-in resources yet. A resource is a text clients can read, such as a style guide at memo://style."
      blank=${{ uri: "", name: "", mimeType: "text/plain", content: "" }}
      fields=${(d, set, errs) => html`
        <${TextField} label="URI" value=${d.uri} onInput=${set("uri")} error=${errs.uri} hint="For example memo://style-guide" required />
        <${TextField} label="Resource name" value=${d.name} onInput=${set("name")} />
        <${TextField} label="MIME type" value=${d.mimeType} onInput=${set("mimeType")} error=${errs.mimeType} />
        <${TextArea} label="Content" value=${d.content} onInput=${set("content")} error=${errs.content} rows="5" />`}
      toBody=${(d) => ({ uri: d.uri.trim(), name: d.name || undefined, mimeType: d.mimeType, content: d.content })} />
  <//>`;
}
