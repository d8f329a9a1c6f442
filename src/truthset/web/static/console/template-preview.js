// The template page: while the template or the task input is edited, asks the server for the
// template's problems and shows them; when there are none, renders the preview frame again.
const csrf = document.querySelector('meta[name="csrf-token"]').content;
const template = document.getElementById("template");
const taskInput = document.getElementById("task-input");
const errors = document.getElementById("template-errors");
const renderForm = document.getElementById("render-form");
let timer = null;

async function refresh() {
  const body = JSON.stringify({ template: template.value, input: taskInput.value });
  const response = await fetch("/console/templates/check", {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
    body,
  });
  const problems = response.ok ? (await response.json()).errors : [`the check failed (${response.status})`];
  errors.replaceChildren(...problems.map((text) => Object.assign(document.createElement("li"), { textContent: text })));
  errors.hidden = problems.length === 0;
  if (problems.length) return;
  renderForm.elements.template.value = template.value;
  renderForm.elements.input.value = taskInput.value;
  renderForm.submit();
}

function later() {
  clearTimeout(timer);
  timer = setTimeout(refresh, 400);
}

template.addEventListener("input", later);
taskInput.addEventListener("input", later);
if (template.value.trim()) refresh();
