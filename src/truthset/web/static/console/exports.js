// Follows the job page's running exports (polled from the REST API with the page's session)
// until each is Completed or Failed, then shows its object count and download link.
const rows = () => [...document.querySelectorAll('#export-list tr[data-status="Running"]')];

async function refresh() {
  for (const row of rows()) {
    const response = await fetch(`/api/v1/exports/${row.dataset.export}`, { credentials: "same-origin" });
    if (!response.ok) continue;
    const run = await response.json();
    if (run.status === "Running") continue;
    row.dataset.status = run.status;
    row.querySelector('[data-field="status"]').textContent = run.error ? `${run.status}: ${run.error}` : run.status;
    if (run.download_url) {
      row.querySelector('[data-field="objects"]').textContent = run.objects;
      const link = document.createElement("a");
      link.href = run.download_url;
      link.download = "";
      link.textContent = `Download ${run.job}-${run.format}-${run.id}.zip`;
      row.querySelector('[data-field="download"]').replaceChildren(link);
    }
  }
  if (rows().length) setTimeout(refresh, 1000);
}

if (rows().length) setTimeout(refresh, 500);
