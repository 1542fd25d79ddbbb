/* global document, location, window */
// The console's shell: sign-in, the navigation, and a hash router that renders one view at a time.
import { get, session, whenSignedOut } from "./api.js";
import { renderAlerts } from "./views/alerts.js";
import { renderOnCall } from "./views/oncall.js";
import { renderSilences } from "./views/silences.js";
import { renderAudit, renderTimeline } from "./views/audit.js";
import { renderCharts } from "./views/charts.js";
import { outboxAvailable, renderOutbox } from "./views/outbox.js";

const VIEWS = {
  alerts: renderAlerts,
  oncall: renderOnCall,
  silences: renderSilences,
  audit: renderAudit,
  timeline: renderTimeline,
  charts: renderCharts,
  outbox: renderOutbox,
};

const $ = (id) => document.getElementById(id);
const elements = {
  login: $("login"),
  loginForm: $("login-form"),
  loginError: $("login-error"),
  token: $("token"),
  nav: $("nav"),
  navOutbox: $("nav-outbox"),
  who: $("who"),
  actor: $("actor"),
  signOut: $("sign-out"),
  notice: $("notice"),
  view: $("view"),
};

/** Each render gets a number; a slow answer for a view the user already left is dropped. */
let generation = 0;
let timers = [];
/** Set by context.go: the next hash change is the app's own, and the notice it just showed stays. */
let keepNotice = false;

function stopTimers() {
  for (const timer of timers) window.clearInterval(timer);
  timers = [];
}

/** "#/timeline/abc?x=1" → { name: "timeline", arg: "abc", params }. */
function route() {
  const raw = location.hash.replace(/^#\/?/, "");
  const [path, search = ""] = raw.split("?");
  const [name, ...rest] = path.split("/");
  return { name: VIEWS[name] ? name : "alerts", arg: rest.map(decodeURIComponent).join("/"), params: new URLSearchParams(search) };
}

export function notify(message, kind = "info") {
  elements.notice.textContent = message;
  elements.notice.className = `notice ${kind}`;
  elements.notice.hidden = message === "";
}

async function render() {
  stopTimers();
  const mine = ++generation;
  const { name, arg, params } = route();
  for (const link of elements.nav.querySelectorAll("a")) {
    if (link.dataset.view === (name === "timeline" ? "audit" : name)) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const context = {
    arg,
    params,
    isCurrent: () => mine === generation,
    /** Show another view, keeping the notice (an action's outcome) on screen. */
    go: (hash) => {
      if (location.hash === hash) return void render();
      keepNotice = true;
      location.hash = hash;
    },
    /** Re-run `refresh` every `ms` while this view is shown and the tab is visible. */
    every: (ms, refresh) => {
      timers.push(
        window.setInterval(() => {
          if (mine === generation && document.visibilityState === "visible") void refresh().catch(showError);
        }, ms),
      );
    },
    notify,
  };
  try {
    await VIEWS[name](elements.view, context);
  } catch (error) {
    if (mine === generation) showError(error);
  }
}

function showError(error) {
  if (error?.status === 401) return;
  notify(error instanceof Error ? error.message : String(error), "error");
}

function showSignIn(message = "") {
  stopTimers();
  generation++;
  elements.view.replaceChildren();
  elements.view.hidden = true;
  elements.nav.hidden = true;
  elements.navOutbox.hidden = true;
  delete elements.nav.dataset.outbox;
  elements.who.hidden = true;
  elements.notice.hidden = true;
  elements.actor.textContent = "";
  elements.login.hidden = false;
  elements.loginError.textContent = message;
  elements.token.focus();
}

function showConsole(actor, features) {
  elements.login.hidden = true;
  elements.actor.textContent = actor;
  elements.who.hidden = false;
  elements.nav.hidden = false;
  elements.view.hidden = false;
  void render();
  revealOutbox(features);
}

/** The Outbox link only where the engine serves one (the demo, as whoami's features say); `data-outbox` says so. */
function revealOutbox(features) {
  const available = outboxAvailable(features);
  elements.navOutbox.hidden = !available;
  elements.nav.dataset.outbox = available ? "shown" : "hidden";
}

async function signIn(token) {
  session.remember(token);
  try {
    const me = await get("whoami");
    showConsole(me.actor, me.features ?? []);
  } catch (error) {
    session.forget();
    if (error?.status !== 401) showSignIn(`Cannot reach the engine: ${error.message}`);
  }
}

whenSignedOut((message) => showSignIn(message));

elements.loginForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const token = elements.token.value.trim();
  // The field is emptied at once: the token is kept in sessionStorage only, never in the page.
  elements.token.value = "";
  if (token === "") {
    elements.loginError.textContent = "Paste your API token first.";
    return;
  }
  void signIn(token);
});

elements.signOut.addEventListener("click", () => {
  session.forget();
  showSignIn("Signed out.");
});

window.addEventListener("hashchange", () => {
  if (!keepNotice) notify("");
  keepNotice = false;
  if (session.token()) void render();
});

if (session.token()) void signIn(session.token());
else showSignIn();
