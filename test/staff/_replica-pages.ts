// Replica pages of our own (not the frontend's code) that make the same requests as the frontend at 251c798:
// same-origin fetches with `Content-Type: application/json` on every call and, when built with the anon key,
// `Authorization: Bearer <anon key>`; the admin screen's calls on load (health, admin/status, stats/dashboard,
// pin/status, reports/history, all at once) and its stream `events/stream?clinic=admin`; the examinee page's
// pin/status; and a page of another origin of the same site that tries to call a patient with the staff cookie.

function script(anonKey: string | null): string {
  return `
const ANON_KEY = ${JSON.stringify(anonKey)};
async function call(path, init) {
  init = init || {};
  const headers = Object.assign({ "Content-Type": "application/json" }, ANON_KEY ? { Authorization: "Bearer " + ANON_KEY } : {});
  const response = await fetch(path, Object.assign({}, init, { headers }));
  const text = await response.text();
  let body = null;
  try { body = JSON.parse(text); } catch (e) { body = { raw: text }; }
  return { path, method: init.method || "GET", status: response.status, body };
}`;
}

export function adminPage(anonKey: string | null): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>admin replica</title></head><body>
<h1>Admin (replica)</h1>
<p>waiting <span id="waiting">-</span> · active <span id="active">-</span> · completed <span id="completed">-</span> · pins <span id="pins">-</span></p>
<script>
${script(anonKey)}
window.streamEvents = [];
const stream = new EventSource("/api/v1/events/stream?clinic=admin");
stream.onmessage = (event) => window.streamEvents.push(event.data);
for (const name of ["queue_update", "stats_update", "connected", "heartbeat"]) {
  stream.addEventListener(name, (event) => window.streamEvents.push(name + " " + event.data));
}
function render(results) {
  const dashboard = results.find((r) => r.path.includes("/stats/dashboard"));
  if (dashboard && dashboard.status === 200) {
    document.getElementById("waiting").textContent = dashboard.body.stats.totalWaiting;
    document.getElementById("active").textContent = dashboard.body.stats.activeQueues;
    document.getElementById("completed").textContent = dashboard.body.stats.completedToday;
  }
  const pins = results.find((r) => r.path.includes("/pin/status"));
  if (pins && pins.status === 200) document.getElementById("pins").textContent = Object.keys(pins.body.pins).length;
  return results;
}
window.staff = {
  load: () => Promise.all([
    call("/api/v1/health/status"),
    call("/api/v1/admin/status"),
    call("/api/v1/stats/dashboard"),
    call("/api/v1/pin/status"),
    call("/api/v1/reports/history?adminCode=BOMUSSA14490"),
  ]).then(render),
  pins: () => call("/api/v1/pin/status"),
  callNext: (clinic) => call("/api/v1/queue/call", { method: "POST", body: JSON.stringify({ clinic }) }),
  signOut: () => call("/api/v1/admin/logout", { method: "POST", body: "{}" }),
};
window.firstLoad = window.staff.load();
</script></body></html>`;
}

export function patientPage(anonKey: string | null): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>patient replica</title></head><body>
<h1>Examinee (replica)</h1>
<script>
${script(anonKey)}
window.firstLoad = Promise.all([call("/api/v1/health/status"), call("/api/v1/pin/status"), call("/api/v1/queue/status?clinic=lab")]);
</script></body></html>`;
}

/** A page of another origin of the same site (another port of 127.0.0.1) that aims at the frontend's origin. */
export function foreignPage(target: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>foreign</title></head><body>
<form id="form" method="POST" action="${target}/api/v1/queue/call" enctype="text/plain" target="sink">
  <input name='{"clinic":"lab","x":"' value='"}'>
</form>
<iframe name="sink"></iframe>
<script>
window.attack = async () => {
  const out = [];
  for (const type of ["text/plain", "application/x-www-form-urlencoded"]) {
    try {
      await fetch("${target}/api/v1/queue/call", { method: "POST", mode: "no-cors", credentials: "include",
        headers: { "Content-Type": type }, body: JSON.stringify({ clinic: "lab" }) });
      out.push(type + ": sent");
    } catch (e) { out.push(type + ": " + e.message); }
  }
  try {
    const response = await fetch("${target}/api/v1/queue/call", { method: "POST", credentials: "include",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify({ clinic: "lab" }) });
    out.push("json: " + response.status);
  } catch (e) { out.push("json: blocked"); }
  document.getElementById("form").submit();
  return out;
};
</script></body></html>`;
}
