// The application shell: login, navigation between pages, theme, token expiry.
import { html, render, useState, useEffect, useCallback } from "./lib.mjs";
import { BASE, session, get, post, onExpired } from "./api.mjs";
import { TextField, Notice } from "./ui.mjs";
import { ServersPage } from "./servers.mjs";
import { GroupsPage } from "./groups.mjs";
import { UsersPage, KeysPage } from "./people.mjs";
import { SettingsPage } from "./settings.mjs";
import { LogsPage } from "./logs.mjs";
import { ActivityPage } from "./activity.mjs";
import { MarketPage } from "./market.mjs";
import { PromptsPage, ResourcesPage } from "./builtins.mjs";
import { OAuthClientsPage } from "./oauth.mjs";

const PAGES = [
  { path: "/servers", title: "Servers", view: ServersPage },
  { path: "/groups", title: "Groups", view: GroupsPage },
  { path: "/market", title: "Market", view: MarketPage },
  { path: "/prompts", title: "Prompts", view: PromptsPage },
  { path: "/resources", title: "Resources", view: ResourcesPage },
  { path: "/keys", title: "Keys", view: KeysPage, admin: true },
  { path: "/users", title: "Users", view: UsersPage, admin: true },
  { path: "/oauth-clients", title: "OAuth clients", view: OAuthClientsPage },
  { path: "/activity", title: "Activity", view: ActivityPage },
  { path: "/logs", title: "Logs", view: LogsPage, admin: true },
  { path: "/settings", title: "Settings", view: SettingsPage },
];

const here = () => {
  const path = location.pathname.slice(BASE.length).replace(/\/+$/, "");
  return path || "/";
};

export function navigate(path) {
  history.pushState(null, "", BASE + path);
  dispatchEvent(new PopStateEvent("popstate"));
}

function Link({ path, children, current }) {
  return html`<a href=${BASE + path} aria-current=${current ? "page" : undefined}
    onClick=${(e) => {
      if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
      e.preventDefault();
      navigate(path);
    }}>${children}</a>`;
}

const THEME_KEY = "mcphub_theme";
function useTheme() {
  const [theme, setTheme] = useState(
    localStorage.getItem(THEME_KEY) ||
      (matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light"),
  );
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    localStorage.setItem(THEME_KEY, theme);
  }, [theme]);
  return [theme, () => setTheme(theme === "dark" ? "light" : "dark")];
}

function Login({ onLogin, message }) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const reply = await post("/api/auth/login", { username, password });
      session.set(reply.token);
      onLogin(reply.user);
    } catch (err) {
      setError(err.message);
    } finally {
      setBusy(false);
    }
  };
  return html`<main class="login">
    <form class="card login-card" onSubmit=${submit} aria-labelledby="login-title">
      <h1 id="login-title"><span class="logo" aria-hidden="true"></span>MCP Hub</h1>
      <p class="muted">Log in to manage the hub's servers, groups, keys and settings.</p>
      <${Notice} kind="info">${message}<//>
      <${TextField} label="Username" value=${username} onInput=${setUsername}
        autocomplete="username" required autofocus />
      <${TextField} label="Password" type="password" value=${password} onInput=${setPassword}
        autocomplete="current-password" required />
      <${Notice} kind="error">${error}<//>
      <button type="submit" disabled=${busy}>${busy ? "Logging in…" : "Log in"}</button>
    </form>
  </main>`;
}

function Shell({ user, features, onLogout, theme, toggleTheme }) {
  const [path, setPath] = useState(here());
  useEffect(() => {
    const onPop = () => setPath(here());
    addEventListener("popstate", onPop);
    return () => removeEventListener("popstate", onPop);
  }, []);
  const pages = PAGES.filter((p) => !p.admin || user.isAdmin);
  const page = pages.find((p) => p.path === path) || pages[0];
  useEffect(() => {
    document.title = `${page.title} · MCP Hub`;
    document.getElementById("page-title")?.focus({ preventScroll: true });
  }, [page]);
  const View = page.view;
  return html`<div class="shell">
    <a class="skip" href="#main">Skip to content</a>
    <header class="topbar">
      <span class="brand"><span class="logo" aria-hidden="true"></span>MCP Hub</span>
      <nav aria-label="Pages" class="nav">
        ${pages.map((p) => html`<${Link} path=${p.path} current=${p === page}>${p.title}<//>`)}
      </nav>
      <div class="account">
        <button type="button" class="secondary small" aria-pressed=${theme === "dark"}
          onClick=${toggleTheme}>Dark theme</button>
        <span class="muted" title="Logged in as">${user.username}${user.isAdmin ? " (admin)" : ""}</span>
        <button type="button" class="secondary small" onClick=${onLogout}>Log out</button>
      </div>
    </header>
    <main id="main" class="content">
      <${View} key=${page.path} user=${user} features=${features} navigate=${navigate} />
    </main>
  </div>`;
}

function App() {
  const [theme, toggleTheme] = useTheme();
  const [user, setUser] = useState(null);
  const [features, setFeatures] = useState({});
  const [checking, setChecking] = useState(!!session.token);
  const [message, setMessage] = useState("");

  const loggedIn = useCallback(async (who, known) => {
    try {
      const found = await (known || get("/api/dashboard/features"));
      setFeatures(found.data || {});
    } catch {
      setFeatures({});
    }
    setUser(who);
    setMessage("");
    if (here() === "/login" || here() === "/") navigate("/servers");
  }, []);

  useEffect(() => onExpired((why) => {
    setUser(null);
    setMessage(`Your session has ended${why ? ` (${why})` : ""}. Log in again to go on.`);
  }), []);

  useEffect(() => {
    if (!session.token) return;
    // Both at once: the first page waits for neither twice.
    const features = get("/api/dashboard/features");
    features.catch(() => {});
    get("/api/auth/user")
      .then((reply) => loggedIn(reply.user || reply.data, features))
      .catch(() => {})
      .finally(() => setChecking(false));
  }, []);

  const logout = () => {
    session.clear();
    setUser(null);
    setMessage("You are logged out.");
    navigate("/login");
  };

  if (checking) return html`<p class="boot">Loading the dashboard…</p>`;
  if (!user) return html`<${Login} onLogin=${loggedIn} message=${message} />`;
  return html`<${Shell} user=${user} features=${features} onLogout=${logout}
    theme=${theme} toggleTheme=${toggleTheme} />`;
}

const root = document.getElementById("app");
root.textContent = ""; // the "Loading" line of index.html
render(html`<${App} />`, root);
