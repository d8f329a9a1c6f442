// The work page: leases tasks through the REST API, shows each task's template in a sandboxed
// frame, prefetches the next task in a hidden frame so it appears at once after Submit, and
// keeps the countdown of the task time limit. A prefetched task's countdown starts when it is
// shown (the server is told, and counts the limit from then); a job still being set up answers
// 409 not_ready, and the page waits as long as Retry-After says and asks again.

const bar = document.getElementById("work-bar");
const job = bar.dataset.job;
const csrf = document.querySelector('meta[name="csrf-token"]').content;
const frames = document.getElementById("frames");
const statusBox = document.getElementById("status");
const timer = document.getElementById("timer");
const progressBox = document.getElementById("progress");

let current = null; // {task, frame, deadline}
let upcoming = null; // prefetched, same shape
let prefetching = null;
let finished = false;

async function api(method, path, body) {
  const response = await fetch(`/api/v1${path}`, {
    method,
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 204) return null;
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(data.error?.message || `request failed (${response.status})`);
    error.status = response.status;
    error.type = data.error?.type;
    error.retryAfter = Number(response.headers.get("Retry-After")) || 2;
    throw error;
  }
  return data;
}

function say(message, isError = false, isOk = false) {
  statusBox.textContent = message || "";
  statusBox.classList.toggle("error", isError);
  statusBox.classList.toggle("ok", isOk);
}

const sleep = (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000));

async function leaseWhenReady() {
  for (;;) {
    try {
      return await api("POST", `/worker/jobs/${encodeURIComponent(job)}/next-task`);
    } catch (error) {
      if (error.status !== 409 || error.type !== "not_ready") throw error;
      say("This job is still being set up; the first task comes in a moment.");
      await sleep(error.retryAfter);
    }
  }
}

async function showProgress() {
  try {
    const p = await api("GET", `/worker/jobs/${encodeURIComponent(job)}/progress`);
    progressBox.textContent = `${p.done} of ${p.objects} done in this job · ${p.mine} by you`;
  } catch {
    // The figures are a courtesy: the work goes on without them.
  }
}

async function lease() {
  const task = await leaseWhenReady();
  if (task === null) return null;
  const frame = document.createElement("iframe");
  frame.setAttribute("sandbox", "allow-scripts allow-forms allow-modals");
  frame.title = "Task";
  frame.dataset.task = task.task_id;
  frame.hidden = true;
  frame.src = `/portal/tasks/${task.task_id}/frame`;
  frames.appendChild(frame);
  return { task, frame, deadline: null };
}

function prefetch() {
  if (finished || upcoming || prefetching) return;
  prefetching = lease()
    .then((next) => {
      // The server hands back the task we hold when we already have two.
      if (next && current && next.task.task_id === current.task.task_id) {
        next.frame.remove();
        next = null;
      }
      upcoming = next;
    })
    .catch(() => {})
    .finally(() => (prefetching = null));
}

async function show(next) {
  if (current) current.frame.remove();
  current = next;
  if (!current) {
    finished = true;
    timer.textContent = "--:--";
    document.getElementById("done").hidden = false;
    document.querySelector(".work-actions").hidden = true;
    frames.hidden = true;
    showProgress();
    return;
  }
  current.frame.hidden = false;
  focusFrame();
  await start(current);
  prefetch();
}

// The time limit counts from now, when the worker sees the task.
async function start(shown) {
  try {
    const started = await api("POST", `/worker/tasks/${shown.task.task_id}/start`);
    shown.deadline = Date.now() + started.seconds_left * 1000;
  } catch {
    shown.deadline = Date.now() + shown.task.seconds_left * 1000;
  }
}

function focusFrame() {
  current?.frame.contentWindow?.postMessage({ type: "truthset:focus" }, "*");
}

async function advance() {
  if (prefetching) await prefetching;
  let next = upcoming;
  upcoming = null;
  if (!next) {
    try {
      next = await lease();
    } catch (error) {
      say(error.message, true);
      return;
    }
  }
  await show(next);
}

function tick() {
  if (!current || current.deadline === null) return;
  const left = Math.max(0, Math.round((current.deadline - Date.now()) / 1000));
  timer.textContent = `${String(Math.floor(left / 60)).padStart(2, "0")}:${String(left % 60).padStart(2, "0")}`;
  timer.classList.toggle("low", left <= 30);
  if (left === 0) {
    say("Time is up for that task: it went back to the pool. Here is the next one.");
    advance();
  }
}

async function submit(frame, answer) {
  if (!current || frame !== current.frame) return;
  const taskId = current.task.task_id;
  try {
    await api("POST", `/worker/tasks/${taskId}/answer`, { answer });
  } catch (error) {
    frame.contentWindow.postMessage({ type: "truthset:submit-result", ok: false, message: error.message }, "*");
    if (error.status === 410 || error.status === 404) {
      say(error.message, true);
      advance();
    }
    return;
  }
  say("Submitted. Thank you!", false, true);
  frame.contentWindow.postMessage({ type: "truthset:submit-result", ok: true }, "*");
  showProgress();
  advance();
}

window.addEventListener("message", (event) => {
  const frame = [...frames.querySelectorAll("iframe")].find((f) => f.contentWindow === event.source);
  if (!frame || typeof event.data !== "object" || event.data === null) return;
  if (event.data.type === "truthset:submit") submit(frame, event.data.answer);
  if (event.data.type === "truthset:ready" && current && frame === current.frame) focusFrame();
});

async function giveBack(action) {
  if (!current) return;
  try {
    await api("POST", `/worker/tasks/${current.task.task_id}/${action}`);
    say(action === "decline" ? "Declined: you will not see that item again." : "Released for someone else.");
  } catch (error) {
    say(error.message, true);
  }
  advance();
}

// Keys pressed on the portal's bar go to the task, unless they operate the bar's own controls.
document.addEventListener("keydown", (event) => {
  if (!current || event.target.closest?.("a, button, input, textarea, select")) return;
  const { key, code, shiftKey, ctrlKey, altKey, metaKey } = event;
  current.frame.contentWindow.postMessage({ type: "truthset:key", key, code, shiftKey, ctrlKey, altKey, metaKey }, "*");
  event.preventDefault();
});

document.getElementById("decline").addEventListener("click", () => giveBack("decline"));
document.getElementById("release").addEventListener("click", () => giveBack("release"));

// A prefetched task nobody will see goes straight back to the pool.
window.addEventListener("pagehide", () => {
  if (!upcoming) return;
  fetch(`/api/v1/worker/tasks/${upcoming.task.task_id}/release`, {
    method: "POST",
    credentials: "same-origin",
    keepalive: true,
    headers: { "X-CSRF-Token": csrf },
  });
});

setInterval(tick, 250);
showProgress();
advance();
