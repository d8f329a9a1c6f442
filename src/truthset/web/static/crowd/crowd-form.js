// <crowd-form>, <crowd-button> and <crowd-alert>.
//
// crowd-form gathers the answer from every element that follows the element contract in base.js
// (a `name` attribute, a `crowdValue` getter, `crowdValidate()`), plus named native inputs, and
// delivers it. Message protocol with the worker portal when the template runs in an iframe:
//   frame -> parent  {type: "truthset:ready"}                  form connected, elements defined
//   frame -> parent  {type: "truthset:submit", answer}         the worker submitted
//   parent -> frame  {type: "truthset:submit-result", ok, message}
// Outside an iframe the form dispatches `crowd-submit` (detail = answer) instead.
//
// Keyboard rules every element can rely on (see shortcutAllowed): Enter submits unless the focus
// is in a text field, on a control with its own Enter action (a button, a link), or in a dialog, or
// an element already called preventDefault(). A button that should submit on Enter rather than
// be clicked again carries the `data-enter-submits` attribute. Ctrl/Cmd+Enter submits even while
// typing.
import { attachStyledShadow, isTyping } from "./base.js";

const SUBMIT_TIMEOUT_MS = 30000;

/** True when a key press may trigger an element's shortcut: nobody consumed it, no text field or
 * open dialog has the focus, and no Ctrl/Alt/Meta modifier is held. */
export function shortcutAllowed(event) {
  if (event.defaultPrevented || event.ctrlKey || event.altKey || event.metaKey) return false;
  if (isTyping(event)) return false;
  return !composedPathOf(event).some((node) => node.tagName === "DIALOG");
}

function composedPathOf(event) {
  return event.composedPath ? event.composedPath() : [event.target];
}

const ENTER_ROLES = ["button", "link", "menuitem", "option", "tab", "checkbox", "radio", "switch"];

function ownsEnter(node) {
  if (!(node instanceof HTMLElement) || node.hasAttribute("data-enter-submits")) return false;
  if (node.tagName === "BUTTON" || node.tagName === "SUMMARY") return true;
  if (node.tagName === "A" && node.hasAttribute("href")) return true;
  return ENTER_ROLES.includes(node.getAttribute("role"));
}

/** Elements under `form` (light DOM and the open shadow roots inside it) that follow the element
 * contract: a `name` attribute and a `crowdValue` property. */
export function crowdFields(form) {
  const found = [];
  const visit = (root) => {
    for (const el of root.querySelectorAll("*")) {
      if (el.hasAttribute("name") && "crowdValue" in el) found.push(el);
      if (el.shadowRoot) visit(el.shadowRoot);
    }
  };
  visit(form);
  return found;
}

// Native controls count only in the form's light DOM: inputs inside a component's shadow root are
// that component's internals, reported through its crowdValue.
function nativeFields(form) {
  const skip = ["submit", "button", "reset", "image", "file"];
  return [...form.querySelectorAll("input[name], select[name], textarea[name]")].filter(
    (el) => !el.disabled && !skip.includes(el.type),
  );
}

function nativeAnswer(fields) {
  const answer = {};
  const checkboxCount = {};
  for (const el of fields) {
    if (el.type === "checkbox") checkboxCount[el.name] = (checkboxCount[el.name] || 0) + 1;
  }
  for (const el of fields) {
    if (el.type === "radio") {
      if (el.checked) answer[el.name] = el.value;
    } else if (el.type === "checkbox") {
      // One checkbox is a yes/no answer; several sharing a name are a list of the checked values.
      if (checkboxCount[el.name] === 1) answer[el.name] = el.checked;
      else answer[el.name] = [...(answer[el.name] || []), ...(el.checked ? [el.value] : [])];
    } else if (el.tagName === "SELECT" && el.multiple) {
      answer[el.name] = [...el.selectedOptions].map((option) => option.value);
    } else {
      answer[el.name] = el.value;
    }
  }
  return answer;
}

function fieldLabel(el) {
  const label = el.labels?.[0]?.textContent.trim();
  return label || el.getAttribute("aria-label") || el.getAttribute("placeholder") || el.name;
}

/** Validates and collects the answer of a form: `{problem, element}` for the first problem found,
 * otherwise `{answer}`, the object `{<name>: value}` the form would deliver. */
export function collectAnswer(form) {
  const fields = crowdFields(form);
  for (const element of fields) {
    const problem = typeof element.crowdValidate === "function" ? element.crowdValidate() : null;
    if (problem) return { problem, element };
  }
  const natives = nativeFields(form);
  for (const element of natives) {
    if (!element.checkValidity()) {
      return { problem: `${fieldLabel(element)}: ${element.validationMessage}`, element };
    }
  }
  const answer = nativeAnswer(natives);
  for (const element of fields) answer[element.getAttribute("name")] = element.crowdValue;
  return { answer };
}

const FORM_CSS = `
  :host { display: block; }
  .footer { position: sticky; bottom: 0; z-index: 5; display: flex; align-items: center; gap: 16px;
            padding: 14px 20px; margin-top: 12px; background: rgba(255, 255, 255, 0.96);
            border-top: 1px solid #e5e7eb; backdrop-filter: blur(6px); }
  .footer[hidden] { display: none; }
  .hint { flex: 1; font-size: 0.85rem; color: var(--crowd-muted); }
  .status { font-size: 0.9rem; color: var(--crowd-muted); }
`;

class CrowdForm extends HTMLElement {
  constructor() {
    super();
    const root = attachStyledShadow(this, FORM_CSS);
    root.innerHTML += `
      <slot></slot>
      <div class="footer" part="footer" hidden>
        <span class="hint"><kbd>Enter</kbd> submits</span>
        <crowd-button form-action="submit" variant="primary" part="submit"
          exportparts="button: submit-button, problem: submit-problem">Submit</crowd-button>
      </div>`;
    this.footer = root.querySelector(".footer");
    this.autoButton = root.querySelector("crowd-button");
    this.busy = false;
    this.readyPosted = false;
    this.addEventListener("click", (event) => this.onClick(event));
    this.addEventListener("input", () => this.clearProblem());
    this.addEventListener("change", () => this.clearProblem());
    this.onKeydown = (event) => this.handleKeydown(event);
    this.onMessage = (event) => this.handleMessage(event);
  }

  connectedCallback() {
    document.addEventListener("keydown", this.onKeydown);
    window.addEventListener("message", this.onMessage);
    this.whenParsed(() => {
      this.footer.hidden = Boolean(this.templateSubmitButton());
      this.trackFooterHeight();
      this.postReady();
    });
  }

  disconnectedCallback() {
    document.removeEventListener("keydown", this.onKeydown);
    window.removeEventListener("message", this.onMessage);
    this.footerObserver?.disconnect();
  }

  whenParsed(callback) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", callback, { once: true });
    } else {
      // Sibling element modules may still be evaluating; a task later they are all defined.
      setTimeout(callback, 0);
    }
  }

  // Tools size themselves to the viewport minus this footer (var --crowd-footer-height).
  trackFooterHeight() {
    const update = () => {
      const height = this.footer.hidden ? 0 : this.footer.offsetHeight + 12;
      this.style.setProperty("--crowd-footer-height", `${height}px`);
    };
    this.footerObserver = new ResizeObserver(update);
    this.footerObserver.observe(this.footer);
    update();
  }

  templateSubmitButton() {
    return this.querySelector(
      'crowd-button[form-action="submit"], button[type="submit"], input[type="submit"]',
    );
  }

  submitButton() {
    return this.templateSubmitButton() || this.autoButton;
  }

  // Called once every element module has been evaluated: a crowd-* tag still undefined then is
  // one truthset does not implement, and waiting for it would never end.
  postReady() {
    if (this.readyPosted || window.parent === window) return;
    const tags = new Set([...this.querySelectorAll("*")].map((el) => el.localName));
    const unknown = [...tags].filter((tag) => tag.startsWith("crowd-") && !customElements.get(tag));
    if (unknown.length) console.warn(`truthset: unsupported Crowd HTML Elements: ${unknown}`);
    this.readyPosted = true;
    window.parent.postMessage({ type: "truthset:ready" }, "*");
  }

  onClick(event) {
    const path = composedPathOf(event);
    const trigger = path.find(
      (node) =>
        node instanceof HTMLElement &&
        (node.matches('crowd-button[form-action="submit"], crowd-button[form-action="reset"]') ||
          node.matches('button[type="submit"], input[type="submit"]')),
    );
    if (!trigger || trigger.hasAttribute("disabled") || trigger.hasAttribute("loading")) return;
    event.preventDefault();
    if (trigger.getAttribute("form-action") === "reset") this.reset();
    else this.submit();
  }

  handleKeydown(event) {
    if (event.key !== "Enter" || event.repeat || event.isComposing || event.shiftKey) return;
    const path = composedPathOf(event);
    if (!this.takesKeysFrom(path)) return;
    // Ctrl/Cmd+Enter submits even from a text field.
    const forced = event.ctrlKey || event.metaKey;
    const blocked = forced
      ? event.defaultPrevented || path.some((node) => node.tagName === "DIALOG")
      : !shortcutAllowed(event) || path.some(ownsEnter);
    if (blocked) return;
    event.preventDefault();
    this.submit();
  }

  // With several forms on a page, the one holding the focus (else the first) takes Enter.
  takesKeysFrom(path) {
    if (path.some((node) => node.tagName === "CROWD-FORM" && node !== this)) return false;
    return path.includes(this) || document.querySelector("crowd-form") === this;
  }

  /** Validates, lets the template's own `submit` handlers veto, then delivers the answer.
   * Returns true when the answer was accepted. */
  async submit() {
    if (this.busy) return false;
    this.clearProblem();
    if (!this.validAnswer()) return false;
    // Ground Truth templates validate in an `onsubmit` handler and call preventDefault().
    const veto = !this.dispatchEvent(new Event("submit", { bubbles: true, cancelable: true }));
    if (veto) return false;
    // Handlers may fill hidden inputs on submit: collect again.
    const answer = this.validAnswer();
    if (!answer) return false;
    if (window.parent === window) {
      this.dispatchEvent(
        new CustomEvent("crowd-submit", { detail: answer, bubbles: true, composed: true }),
      );
      return true;
    }
    return this.deliverToParent(answer);
  }

  // The answer, or null after showing the worker why not. A broken element must not make Submit
  // silently do nothing.
  validAnswer() {
    let result;
    try {
      result = collectAnswer(this);
    } catch (error) {
      console.error(error);
      this.showProblem(`The answer could not be read: ${error.message}`);
      return null;
    }
    if (!result.problem) return result.answer;
    this.showProblem(result.problem);
    result.element.scrollIntoView?.({ block: "nearest" });
    if (result.element.matches("input, select, textarea")) result.element.focus();
    return null;
  }

  deliverToParent(answer) {
    this.setBusy(true);
    return new Promise((resolve) => {
      this.pendingResult = (ok, message) => {
        clearTimeout(this.pendingTimer);
        this.pendingResult = null;
        this.setBusy(false, ok);
        if (!ok) this.showProblem(message || "The answer was not accepted. Try again.");
        resolve(ok);
      };
      const noAnswer = "No response from the server. Check your connection and try again.";
      const giveUp = () => this.pendingResult?.(false, noAnswer);
      this.pendingTimer = setTimeout(giveUp, SUBMIT_TIMEOUT_MS);
      window.parent.postMessage({ type: "truthset:submit", answer }, "*");
    });
  }

  handleMessage(event) {
    if (event.source !== window.parent || !event.data) return;
    if (event.data.type === "truthset:submit-result" && this.pendingResult) {
      this.pendingResult(event.data.ok === true, event.data.message);
    }
  }

  setBusy(busy, done = false) {
    this.busy = busy || done;
    const button = this.submitButton();
    if (button.localName === "crowd-button") {
      button.toggleAttribute("loading", busy);
      if (done) {
        button.setAttribute("disabled", "");
        button.textContent = "Submitted";
      }
    } else {
      button.disabled = busy || done;
    }
  }

  reset() {
    for (const el of nativeFields(this)) {
      if (el.type === "checkbox" || el.type === "radio") el.checked = el.defaultChecked;
      else if (el.tagName === "SELECT") for (const o of el.options) o.selected = o.defaultSelected;
      else el.value = el.defaultValue;
    }
    for (const el of crowdFields(this)) el.crowdReset?.();
    this.clearProblem();
  }

  /** Shows a problem next to the submit button (replaces any earlier one). */
  showProblem(message) {
    const button = this.submitButton();
    if (button.localName === "crowd-button") {
      button.showProblem(message);
      return;
    }
    // A template's own native submit button: put an alert right after it.
    if (!this.nativeProblem) {
      this.nativeProblem = document.createElement("crowd-alert");
      this.nativeProblem.setAttribute("type", "error");
    }
    this.nativeProblem.textContent = message;
    this.nativeProblem.hidden = false;
    button.after(this.nativeProblem);
  }

  clearProblem() {
    const button = this.submitButton();
    if (button.localName === "crowd-button") button.clearProblem();
    if (this.nativeProblem) this.nativeProblem.hidden = true;
  }
}

const BUTTON_CSS = `
  :host { display: inline-flex; align-items: center; gap: 12px; flex-wrap: wrap;
          vertical-align: middle; }
  :host([hidden]) { display: none; }
  .button { display: inline-flex; align-items: center; justify-content: center; gap: 8px;
            min-height: 40px; padding: 8px 18px; font-weight: 600; color: #1f2937;
            text-decoration: none; box-sizing: border-box; background: #fff;
            border: 1px solid var(--crowd-border); border-radius: var(--crowd-radius);
            transition: background 120ms, border-color 120ms, box-shadow 120ms; }
  .button:hover { border-color: var(--crowd-accent); }
  .button:focus-visible { outline: 3px solid #93c5fd; outline-offset: 2px; }
  :host([variant="primary"]) .button { background: var(--crowd-accent); color: #fff;
          border-color: var(--crowd-accent); min-width: 120px;
          box-shadow: 0 1px 2px rgba(37, 99, 235, 0.25); }
  :host([variant="primary"]) .button:hover { background: #1d4ed8; border-color: #1d4ed8; }
  :host([variant="link"]) .button { border-color: transparent; background: none;
          color: var(--crowd-accent); padding-inline: 6px; text-decoration: underline; }
  :host([variant="icon"]) .button { padding: 8px; min-width: 40px; }
  :host([disabled]) .button, :host([loading]) .button { cursor: default; opacity: 0.6;
          box-shadow: none; }
  :host([disabled]) .button:hover { border-color: var(--crowd-border); }
  :host([variant="primary"][disabled]) .button:hover { background: var(--crowd-accent); }
  :host([icon-align="right"]) .icon { order: 2; }
  .icon { width: 18px; height: 18px; }
  .icon:not([src]) { display: none; }
  .spinner { display: none; width: 14px; height: 14px; border-radius: 50%;
             border: 2px solid currentColor; border-right-color: transparent;
             animation: spin 0.8s linear infinite; }
  :host([loading]) .spinner { display: inline-block; }
  @keyframes spin { to { transform: rotate(360deg); } }
  .problem { order: -1; display: inline-flex; align-items: center; gap: 8px; max-width: 48ch;
             padding: 7px 12px; font-size: 0.9rem; font-weight: 500; color: var(--crowd-danger);
             background: #fef2f2; border: 1px solid #fecaca; border-radius: var(--crowd-radius); }
  .problem[hidden] { display: none; }
  .problem svg { flex: none; width: 16px; height: 16px; }
`;

class CrowdButton extends HTMLElement {
  static observedAttributes = ["disabled", "loading", "href", "target", "icon-url"];

  constructor() {
    super();
    this.root = attachStyledShadow(this, BUTTON_CSS);
    this.root.innerHTML += `
      <span class="problem" part="problem" role="alert" hidden>
        <svg viewBox="0 0 16 16" aria-hidden="true">
          <circle cx="8" cy="8" r="7.5" fill="currentColor"/>
          <path d="M8 4v5" stroke="#fff" stroke-width="1.8" stroke-linecap="round"/>
          <circle cx="8" cy="11.6" r="1" fill="#fff"/></svg><span class="text"></span></span>`;
    this.problem = this.root.querySelector(".problem");
  }

  connectedCallback() {
    this.render();
  }

  attributeChangedCallback() {
    if (this.isConnected) this.render();
  }

  render() {
    const href = this.getAttribute("href");
    const tag = href ? "a" : "button";
    if (!this.control || this.control.localName !== tag) {
      this.control?.remove();
      this.control = document.createElement(tag);
      this.control.className = "button";
      this.control.setAttribute("part", "button");
      this.control.innerHTML = `<span class="spinner" aria-hidden="true"></span>
        <img class="icon" alt="" aria-hidden="true"><slot></slot>`;
      this.root.appendChild(this.control);
    }
    const inactive = this.hasAttribute("disabled") || this.hasAttribute("loading");
    if (href) {
      this.control.href = href;
      if (this.getAttribute("target")) this.control.target = this.getAttribute("target");
      this.control.toggleAttribute("aria-disabled", inactive);
    } else {
      this.control.type = "button";
      this.control.disabled = inactive;
      this.control.setAttribute("aria-busy", String(this.hasAttribute("loading")));
    }
    const iconUrl = this.getAttribute("icon-url");
    const icon = this.control.querySelector(".icon");
    if (iconUrl) icon.src = iconUrl;
    else icon.removeAttribute("src");
  }

  focus(options) {
    this.control?.focus(options);
  }

  click() {
    this.control?.click();
  }

  showProblem(message) {
    this.problem.querySelector(".text").textContent = message;
    this.problem.hidden = false;
  }

  clearProblem() {
    this.problem.hidden = true;
  }

  get problemText() {
    return this.problem.hidden ? null : this.problem.querySelector(".text").textContent;
  }
}

const ALERT_TYPES = {
  info: ["#eff6ff", "#bfdbfe", "#1e40af"],
  success: ["#f0fdf4", "#bbf7d0", "#166534"],
  warning: ["#fffbeb", "#fde68a", "#92400e"],
  error: ["#fef2f2", "#fecaca", "#991b1b"],
};

const ALERT_CSS =
  `
  :host { display: block; margin: 8px 0; }
  :host([hidden]) { display: none; }
  .alert { display: flex; align-items: flex-start; gap: 12px; padding: 12px 16px;
           border: 1px solid; border-radius: 10px; line-height: 1.5; }
  .body { flex: 1; }
  .dismiss { border: none; background: none; padding: 0 4px; font-size: 1.25rem; line-height: 1;
             color: inherit; opacity: 0.7; }
  .dismiss:hover { opacity: 1; }
  .dismiss[hidden] { display: none; }
` +
  Object.entries(ALERT_TYPES)
    .map(
      ([type, [bg, border, fg]]) =>
        `:host([type="${type}"]) .alert${type === "info" ? ", .alert" : ""} ` +
        `{ background: ${bg}; border-color: ${border}; color: ${fg}; }`,
    )
    .reverse()
    .join("\n");

class CrowdAlert extends HTMLElement {
  static observedAttributes = ["type", "dismissible"];

  constructor() {
    super();
    const root = attachStyledShadow(this, ALERT_CSS);
    root.innerHTML += `<div class="alert" part="alert"><div class="body"><slot></slot></div>
      <button type="button" class="dismiss" aria-label="Dismiss" hidden>&times;</button></div>`;
    root.querySelector(".dismiss").addEventListener("click", () => (this.hidden = true));
  }

  connectedCallback() {
    this.render();
  }

  attributeChangedCallback() {
    this.render();
  }

  render() {
    const urgent = ["error", "warning"].includes(this.getAttribute("type"));
    this.shadowRoot.querySelector(".alert").setAttribute("role", urgent ? "alert" : "status");
    this.shadowRoot.querySelector(".dismiss").hidden = !this.hasAttribute("dismissible");
  }
}

customElements.define("crowd-button", CrowdButton);
customElements.define("crowd-alert", CrowdAlert);
customElements.define("crowd-form", CrowdForm);
