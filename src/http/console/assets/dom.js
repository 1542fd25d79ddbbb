/* global document, Node */
// Building DOM from data without ever parsing HTML: every value becomes a text node or an attribute, so labels and
// annotations from events cannot inject markup (the CSP's Trusted Types would refuse innerHTML anyway).

const SVG_NS = "http://www.w3.org/2000/svg";

/** Children as nodes: nested lists flattened, strings as text, null/undefined/false left out. */
function nodes(children) {
  return children
    .flat(Infinity)
    .filter((child) => child !== undefined && child !== null && child !== false)
    .map((child) => (child instanceof Node ? child : document.createTextNode(String(child))));
}

function build(element, props, children) {
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") element.addEventListener(key.slice(2), value);
    else element.setAttribute(key, value === true ? "" : String(value));
  }
  element.append(...nodes(children));
  return element;
}

/** Replace an element's content, with the same rules for children as h(). */
export function replace(element, ...children) {
  element.replaceChildren(...nodes(children));
  return element;
}

/** Add to an element's content, with the same rules for children as h(). */
export function append(element, ...children) {
  element.append(...nodes(children));
  return element;
}

/** An HTML element: h("a", { href: "#/x", class: "y" }, "text", otherElement). */
export function h(tag, props, ...children) {
  return build(document.createElement(tag), props, children);
}

/** An SVG element, the same way. */
export function svg(tag, props, ...children) {
  return build(document.createElementNS(SVG_NS, tag), props, children);
}

/** A button that disables itself while its action runs, so a double tap at 3 a.m. acts once. */
export function actionButton(text, props, action) {
  const button = h("button", { type: "button", ...props }, text);
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await action();
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

export function badge(text, kind = text) {
  return h("span", { class: `badge ${kind}` }, text);
}

export function empty(text) {
  return h("p", { class: "empty" }, text);
}
