// Building the page: every text that comes from the API goes in with text
// nodes (h) or textContent (setText), never as HTML.

export const $ = (id) => document.getElementById(id);

// h builds an element. Strings among the children become text nodes, so
// data is never parsed as HTML.
export function h(tag, props, ...children) {
  const node = document.createElement(tag);
  if (props) {
    for (const [key, value] of Object.entries(props)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = String(value);
      else if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function setText(id, text) {
  const node = $(id);
  if (node && node.textContent !== text) node.textContent = text;
}
