// The application shell: login, navigation between pages, theme, token expiry.
import { html, render, useState, useEffect, useCallback } from "./lib.mjs";
import { BASE, session, get, post, prefetch, onExpired } from "./api.mjs";
import { TextField, Notice, Spinner } from "./ui.mjs";

// Each page's module is imported when the page is first opened (the hub's index.html already
// asks for the first page's module); `view` names the component it exports.
const PAGES = [
  { path: "/servers", title: "Servers", module: "servers", view: "ServersPage" },
  { path: "/groups", title: "Groups", module: "groups", view: "GroupsPage" },
  { path: "/market", title: "Market", module: "market", view: "MarketPage" },
  { path: "/prompts", title: "Prompts", module: "builtins", view: "PromptsPage" },
  { path: "/resources", title: "Resources", module: "builtins", view: "ResourcesPage" },
  { path: "/keys", title: "Keys", module: "people", view: "KeysPage", admin: true },
  { path: "/users", title: "Users", module: "people", view: "UsersPage", admin: true },
  { path: "/oauth-clients", title: "OAuth clients", module: "oauth", view: "OAuthClientsPage" },
  { path: "/activity", title: "Activity", module: "activity", view: "ActivityPage" },
  { path: "/logs", title: "Logs", module: "logs", view: "LogsPage", admin: true },
  { path: "/settings", title: "Settings", module: "settings", view: "SettingsPage" },
];

const loaded = new Map();
/** The page's component, once its module is in (null until then, or an Error). */
function usePageView(page) {
  const [, setTick] = useState(0);
  const key = `${page.module}.${page.view}`;
  useEffect(() => {
    if (loaded.has(key)) return;
    import(`./${page.module}.mjs`)
      .then((module) => loaded.set(key, module[page.view]))
      .catch((err) => loaded.set(key, err))
      .finally(() => setTick((t) => t + 1));
  }, [key]);
  return loaded.get(key) || null;
}

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
  }, [page]);
  const View = usePageView(page);
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
      ${View instanceof Error
        ? html`<${Notice} kind="error">The ${page.title} page could not be loaded (${View.message}); reload to try again.<//>`
        : View
          ? html`<${View} key=${page.path} user=${user} features=${features} navigate=${navigate} />`
          : html`<${Spinner} label=${`Loading ${page.title}…`} />`}
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

  const ended = (why) => {
    setUser(null);
    setMessage(`Your session has ended${why ? ` (${why})` : ""}. Log in again to go on.`);
  };
  useEffect(() => onExpired(ended), []);

  useEffect(() => {
    if (!session.token) {
      // A prefetch may have found the token refused before this listened.
      if (session.ended) ended(session.ended);
      setChecking(false);
      return;
    }
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

// The Servers page, where most visits start, needs the server list: ask for it at once
// rather than after the login check (one round trip fewer before the page can be used).
if (session.token && ["/", "/servers"].includes(here())) prefetch("/api/servers");

const root = document.getElementById("app");
root.textContent = ""; // the "Loading" line of index.html
render(html`<${App} />`, root);
