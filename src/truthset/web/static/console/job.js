// Keeps a job's page current: status, the five label counters and the progress bar follow the
// job while it runs (polled from the REST API with the page's session), without a reload; the
// table of objects and answers per state is taken from the page itself, fetched again.
const status = document.getElementById("job-status");
const name = status?.dataset.job;
const ENDED = ["Completed", "Failed", "Stopped"];
const jobPage = `/console/jobs/${encodeURIComponent(name)}`;

async function refresh() {
  const response = await fetch(`/api/v1/jobs/${encodeURIComponent(name)}`, { credentials: "same-origin" });
  if (!response.ok) return;
  const job = await response.json();
  status.textContent = job.status;
  status.className = `status status-${job.status.toLowerCase()}`;
  for (const [counter, value] of Object.entries(job.label_counters)) {
    const cell = document.querySelector(`[data-counter="${counter}"]`);
    if (cell) cell.textContent = value;
  }
  const done = job.label_counters.TotalLabeled + job.label_counters.FailedNonRetryableError;
  const bar = document.querySelector(".progress.large > div");
  if (bar && job.objects) bar.style.width = `${(100 * done) / job.objects}%`;
  await refreshAnswers();
  if (ENDED.includes(job.status)) {
    // Buttons and links depend on the status: show the page for the ended job once.
    // (Its address, not a reload: the page may be a form's answer, which a reload posts again.)
    if (!ENDED.includes(status.dataset.initial)) location.assign(jobPage);
    return;
  }
  setTimeout(refresh, 2000);
}

async function refreshAnswers() {
  const response = await fetch(jobPage, { credentials: "same-origin" });
  if (!response.ok) return;
  const page = new DOMParser().parseFromString(await response.text(), "text/html");
  const fresh = page.getElementById("answers");
  if (fresh) document.getElementById("answers").replaceWith(fresh);
}

if (name && !ENDED.includes(status.dataset.initial)) setTimeout(refresh, 1000);
