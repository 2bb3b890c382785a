// Groups: a set of servers (and per server a selection of tools, prompts, resources) served
// at its own endpoint /mcp/{group}.
import { html, useState } from "./lib.mjs";
import { get, post, put, del, enc, hubUrl } from "./api.mjs";
import {
  Page, TextField, Check, Notice, ErrorNotice, CopyBlock, Empty, Spinner, ConfirmButton, useLoad,
} from "./ui.mjs";

function GroupForm({ group, servers, onDone, onCancel }) {
  const [name, setName] = useState(group?.name || "");
  const [description, setDescription] = useState(group?.description || "");
  const [members, setMembers] = useState(new Set((group?.servers || []).map((s) => s.name)));
  const [error, setError] = useState(null);
  const toggle = (server, on) => {
    const next = new Set(members);
    if (on) next.add(server);
    else next.delete(server);
    setMembers(next);
  };
  const submit = async (e) => {
    e.preventDefault();
    setError(null);
    const kept = new Map((group?.servers || []).map((s) => [s.name, s]));
    const body = {
      name: name.trim(),
      description,
      servers: [...members].map((s) => kept.get(s) || { name: s, tools: "all" }),
    };
    try {
      if (group) await put(`/api/groups/${enc(group.id)}`, body);
      else await post("/api/groups", body);
      onDone(body.name);
    } catch (err) {
      setError(err);
    }
  };
  return html`<form class="card form" onSubmit=${submit} aria-label=${group ? `Edit group ${group.name}` : "Create a group"}>
    <h2>${group ? `Edit ${group.name}` : "Create a group"}</h2>
    <div class="grid">
      <${TextField} label="Group name" value=${name} onInput=${setName} error=${error?.fieldErrors?.name} required />
      <${TextField} label="Description" value=${description} onInput=${setDescription} />
    </div>
    <fieldset>
      <legend>Servers in the group</legend>
      ${servers.length === 0 && html`<p class="muted">No servers yet: add some on the Servers page first.</p>`}
      <div class="checks">
        ${servers.map((s) => html`<${Check} label=${s.name} checked=${members.has(s.name)}
          onChange=${(on) => toggle(s.name, on)} />`)}
      </div>
    </fieldset>
    <${ErrorNotice} error=${error} />
    <div class="actions">
      <button type="submit">${group ? "Save group" : "Create group"}</button>
      <button type="button" class="secondary" onClick=${onCancel}>Cancel</button>
    </div>
  </form>`;
}

const KINDS = ["tools", "prompts", "resources"];

/** The upstream names of a server's items of one kind (what a group's selection holds). */
function upstreamNames(server, kind, prefix) {
  const items = server?.[kind] || [];
  if (kind === "resources") return items.map((r) => r.uri);
  return items.map((i) => (i.name.startsWith(prefix) ? i.name.slice(prefix.length) : i.name));
}

function summary(member, kind, names) {
  const value = member[kind];
  return value === "all" || value === undefined ? `all ${kind}` : `${value.length} of ${names.length} ${kind}`;
}

/** Which of one kind of a member server's items the group offers: all, or a chosen list. */
function KindSelection({ group, member, kind, names, onChanged }) {
  const [error, setError] = useState(null);
  const all = member[kind] === "all" || member[kind] === undefined;
  const chosen = new Set(all ? names : member[kind] || []);
  const save = async (value) => {
    setError(null);
    try {
      await put(`/api/groups/${enc(group.id)}/server-configs/${enc(member.name)}/${kind}`, { [kind]: value });
      await onChanged();
    } catch (err) {
      setError(err);
    }
  };
  const flip = (name, on) => {
    const next = new Set(chosen);
    if (on) next.add(name);
    else next.delete(name);
    save([...next]);
  };
  if (names.length === 0) return null;
  return html`<fieldset><legend>${kind[0].toUpperCase() + kind.slice(1)} of ${member.name}</legend>
    <${Check} label=${`All ${kind} of ${member.name}`} checked=${all} onChange=${(on) => save(on ? "all" : names)} />
    ${!all && html`<div class="checks">${names.map((n) => html`<${Check} key=${n} label=${n} checked=${chosen.has(n)}
      onChange=${(on) => flip(n, on)} />`)}</div>`}
    <${ErrorNotice} error=${error} />
  </fieldset>`;
}

function Selection({ group, member, server, separator, onChanged }) {
  const prefix = `${member.name}${separator}`;
  const names = Object.fromEntries(KINDS.map((k) => [k, upstreamNames(server, k, prefix)]));
  const offered = KINDS.filter((k) => names[k].length > 0);
  return html`<details class="selection">
    <summary>${member.name}: ${(offered.length ? offered : ["tools"]).map((k) => summary(member, k, names[k])).join(", ")}</summary>
    ${offered.length === 0 && html`<p class="muted">Its tools are listed once it is connected.</p>`}
    ${offered.map((k) => html`<${KindSelection} key=${k} group=${group} member=${member} kind=${k}
      names=${names[k]} onChanged=${onChanged} />`)}
  </details>`;
}

export function GroupsPage({ user }) {
  const groups = useLoad(() => get("/api/groups"));
  const servers = useLoad(() => get("/api/servers"));
  const settings = useLoad(() => (user.isAdmin ? get("/api/settings") : Promise.resolve(null)));
  const [form, setForm] = useState(null);
  const [notice, setNotice] = useState("");
  const [error, setError] = useState(null);
  const list = groups.data?.data || [];
  const serverList = servers.data?.data || [];
  const separator = settings.data?.data?.systemConfig?.nameSeparator || "-";
  const byName = Object.fromEntries(serverList.map((s) => [s.name, s]));
  const done = async (name) => {
    setNotice(`Group ${name} saved.`);
    setForm(null);
    await groups.reload();
  };
  const remove = async (group) => {
    setError(null);
    try {
      await del(`/api/groups/${enc(group.id)}`);
      setNotice(`Group ${group.name} deleted.`);
      await groups.reload();
    } catch (err) {
      setError(err);
    }
  };
  return html`<${Page} title="Groups"
    intro="A group serves some servers (and some of their tools) at its own endpoint."
    actions=${html`<button type="button" onClick=${() => { setNotice(""); setForm("new"); }}>Create group</button>`}>
    <${Notice} kind="success">${notice}<//>
    <${ErrorNotice} error=${groups.error || error} />
    ${form && html`<${GroupForm} key=${form === "new" ? "new" : form.id} group=${form === "new" ? null : form}
      servers=${serverList} onDone=${done} onCancel=${() => setForm(null)} />`}
    ${groups.loading && !groups.data && html`<${Spinner} label="Loading groups…" />`}
    ${groups.data && list.length === 0 && !form && html`<${Empty}>No groups yet. Create one to give a
      client only some servers, at <code>${hubUrl("/mcp/<group>")}</code>.<//>`}
    <div class="server-list">
      ${list.map((g) => html`<article class="card" key=${g.id} aria-label=${`Group ${g.name}`}>
        <div class="server-head">
          <h2 class="server-name">${g.name}</h2>
          <span class="muted">${g.servers.length} server${g.servers.length === 1 ? "" : "s"}</span>
          <div class="actions">
            <button type="button" class="secondary small" aria-label=${`Edit group ${g.name}`}
              onClick=${() => { setNotice(""); setForm(g); }}>Edit</button>
            <${ConfirmButton} label=${`Delete group ${g.name}`} confirmLabel=${`Yes, delete ${g.name}`}
              question=${`Delete group ${g.name}?`} onConfirm=${() => remove(g)} />
          </div>
        </div>
        ${g.description && html`<p class="muted">${g.description}</p>`}
        <${CopyBlock} label=${`Endpoint of ${g.name}`} text=${hubUrl(`/mcp/${g.name}`)} />
        ${g.servers.map((m) => html`<${Selection} key=${m.name} group=${g} member=${m}
          server=${byName[m.name]} separator=${separator} onChanged=${groups.reload} />`)}
      </article>`)}
    </div>
  <//>`;
}
