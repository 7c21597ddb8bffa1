// A replica of how the unchanged frontend's patient page (Bomussa/love at 251c798) behaves against a backend,
// written for the tests from that behaviour as reference/frontend-behaviour.md and issue 11 describe it. It is not
// the frontend's code and uses no framework; what matters is reproduced on purpose:
//   - the request helper: any non-2xx POST becomes {success:true, offline:true} and is stored in
//     localStorage['mms.offlineQueue'], replayed 1 s after every load; a non-2xx GET throws;
//   - position reads are validated and retried 3 times (100, 200, 300 ms), enters likewise;
//   - the polling "effect" depends on the stations array, and every successful position answer makes a new array,
//     so the effect runs again and asks again at once: a loop with no pause. Its de-duplication record is created
//     anew on every run, so it never de-duplicates the loop. Each run also starts a 20 s interval and a 60 s
//     watchdog (reload when no answer for 60 s), both cleared when the effect runs again;
//   - after 3 failed rounds (5 s apart) it reports POST /api/v1/events/recovery and reloads itself;
//   - display_number 0 starts a new Audio() on every answer;
//   - two event streams: /api/v1/events/stream and /api/v1/events/stream?user=<id>.
// Parameters (query string): user (the session id), route (comma-separated clinic ids, default lab).
(() => {
  const API = "/api/v1";
  const OFFLINE_QUEUE = "mms.offlineQueue";
  const params = new URLSearchParams(location.search);
  const user = params.get("user");
  const routeIds = (params.get("route") || "lab").split(",").filter(Boolean);

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  // What the tests read: every answer the page acted on, in order.
  const observed = { positions: [], exits: [], replays: [], recoveries: 0, loadedAt: Date.now() };
  window.__replica = observed;

  // --- The request helper -------------------------------------------------------------------------------
  function storeOffline(path, options) {
    const queue = JSON.parse(localStorage.getItem(OFFLINE_QUEUE) || "[]");
    queue.push({ id: Date.now() + Math.random(), endpoint: path, options, timestamp: new Date().toISOString() });
    localStorage.setItem(OFFLINE_QUEUE, JSON.stringify(queue));
  }

  async function request(path, options = {}) {
    const method = (options.method || "GET").toUpperCase();
    let failure;
    try {
      const response = await fetch(`${API}${path}`, {
        method,
        headers: { "Content-Type": "application/json" },
        body: options.body,
      });
      const text = await response.text();
      let data;
      try {
        data = text ? JSON.parse(text) : {};
      } catch {
        data = { raw: text };
      }
      if (response.ok) return data;
      failure = new Error((data && data.error) || `HTTP ${response.status}`);
    } catch (error) {
      failure = error;
    }
    if (method === "POST" || method === "PUT" || method === "DELETE") {
      storeOffline(path, options);
      return { success: true, offline: true, queued: true };
    }
    throw failure;
  }

  async function replayOffline() {
    const queue = JSON.parse(localStorage.getItem(OFFLINE_QUEUE) || "[]");
    if (queue.length === 0) return;
    const remaining = [];
    for (const operation of queue) {
      try {
        const answer = await request(operation.endpoint, operation.options);
        observed.replays.push({ endpoint: operation.endpoint, answer });
      } catch {
        remaining.push(operation);
      }
    }
    localStorage.setItem(OFFLINE_QUEUE, JSON.stringify(remaining));
  }
  if (navigator.onLine) setTimeout(replayOffline, 1000);

  async function enterQueue(clinic, attempt = 0) {
    try {
      const data = await request("/queue/enter", {
        method: "POST",
        body: JSON.stringify({ clinic, user, isAutoEntry: true }),
      });
      if (!data || !data.success) throw new Error("Failed to enter queue");
      if (!data.number && !data.display_number) throw new Error("Missing queue number in response");
      return data;
    } catch (error) {
      if (attempt < 3) {
        await sleep((attempt + 1) * 100);
        return enterQueue(clinic, attempt + 1);
      }
      throw error;
    }
  }

  async function getQueuePosition(clinic, attempt = 0) {
    try {
      const data = await request(`/queue/position?clinic=${clinic}&user=${user}`);
      if (!data || !data.success) throw new Error("Invalid response from backend");
      if (data.display_number === undefined || data.display_number === null) throw new Error("Missing display_number");
      if (data.display_number < -1) throw new Error("Invalid display_number");
      if (data.ahead === undefined || data.ahead < 0) throw new Error("Invalid ahead");
      return data;
    } catch (error) {
      if (attempt < 3) {
        await sleep((attempt + 1) * 100);
        return getQueuePosition(clinic, attempt + 1);
      }
      throw error;
    }
  }

  // --- State, rendering and the effect that re-runs on every new stations array -----------------------------
  let stations = [];
  let effectStations = null;
  let effectCleanup = null;
  let renderQueued = false;

  function setStations(update) {
    stations = typeof update === "function" ? update(stations) : update;
    if (renderQueued) return;
    renderQueued = true;
    setTimeout(() => {
      renderQueued = false;
      render();
      if (stations !== effectStations) runPollingEffect();
    }, 0);
  }

  function render() {
    const list = document.getElementById("stations");
    list.replaceChildren(...stations.map((station) => {
      const item = document.createElement("li");
      item.dataset.clinic = station.id;
      item.dataset.status = station.status;
      item.dataset.entered = String(station.isEntered);
      item.dataset.number = String(station.yourNumber ?? "");
      item.dataset.ahead = String(station.ahead ?? "");
      item.dataset.queueStatus = station.queueStatus ?? "";
      item.textContent = `${station.id}: ${station.status} ${station.yourNumber ?? "-"} (${station.ahead ?? 0} ahead)`;
      return item;
    }));
    const completed = stations.length > 0 && stations.every((station) => station.status === "completed");
    document.getElementById("phase").textContent = completed ? "completed" : "route";
  }

  function showNotice(text) {
    document.getElementById("notice").textContent = text;
  }

  function applyPosition(clinic, position) {
    observed.positions.push({ clinic, at: Date.now(), display: position.display_number, status: position.status });
    if (position.display_number === 0) {
      showNotice("your turn");
      try {
        new Audio("/notification.mp3").play().catch(() => {});
      } catch {
        // no audio in this browser
      }
    }
    setStations((previous) => previous.map((station) => station.id === clinic
      ? {
        ...station,
        yourNumber: position.display_number,
        ahead: position.ahead,
        totalWaiting: position.total_waiting,
        queueStatus: position.status,
      }
      : station));
  }

  function runPollingEffect() {
    effectStations = stations;
    if (effectCleanup) effectCleanup();
    effectCleanup = null;
    if (!user || stations.length === 0) return;
    const runStations = stations;
    const lastState = { current: null };
    let retries = 0;
    let lastResponseTime = Date.now();

    const updateQueueStatus = async () => {
      if (document.hidden) return;
      try {
        for (const station of runStations) {
          if (!(station.isEntered && station.status === "ready")) continue;
          const position = await getQueuePosition(station.id);
          const key = `${station.id}-${position.display_number}`;
          if (lastState.current === key) continue;
          lastState.current = key;
          applyPosition(station.id, position);
        }
        retries = 0;
        lastResponseTime = Date.now();
      } catch {
        retries++;
        if (retries <= 3) {
          setTimeout(updateQueueStatus, 5000);
        } else {
          observed.recoveries++;
          try {
            await fetch(`${API}/events/recovery`, {
              method: "POST",
              headers: { "Content-Type": "application/json" },
              body: JSON.stringify({ source: "queue-watcher", retries, timestamp: new Date().toISOString() }),
            });
          } catch {
            // reported or not, the page reloads
          }
          location.reload();
        }
      }
    };

    updateQueueStatus();
    const interval = setInterval(updateQueueStatus, 20000);
    const watchdog = setInterval(() => {
      if (Date.now() - lastResponseTime > 60000) location.reload();
    }, 60000);
    effectCleanup = () => {
      clearInterval(interval);
      clearInterval(watchdog);
    };
  }

  // --- The patient's actions ------------------------------------------------------------------------------
  async function enterClinic(clinic) {
    await enterQueue(clinic);
    const position = await getQueuePosition(clinic);
    observed.positions.push({ clinic, at: Date.now(), display: position.display_number, status: position.status });
    setStations((previous) => previous.map((station) => station.id === clinic
      ? {
        ...station,
        yourNumber: position.display_number,
        ahead: position.ahead,
        totalWaiting: position.total_waiting,
        queueStatus: position.status,
        status: "ready",
        isEntered: true,
      }
      : station));
  }

  /** The patient types the PIN and presses exit: the UI shows the answer's error, or moves on. */
  observed.exit = async (pin) => {
    const index = stations.findIndex((station) => station.status === "ready" && station.isEntered);
    if (index === -1) return { shown: "nothing to exit" };
    const clinic = stations[index].id;
    const answer = await request("/queue/done", { method: "POST", body: JSON.stringify({ clinic, user, pin: String(pin) }) });
    observed.exits.push({ clinic, answer });
    if (!answer || !answer.success) {
      document.getElementById("error").textContent = (answer && answer.error) || "Incorrect PIN";
      return { shown: "error", answer };
    }
    document.getElementById("error").textContent = "";
    setStations((previous) => previous.map((station, i) => {
      if (i === index) return { ...station, status: "completed" };
      if (i === index + 1) return { ...station, status: "ready", isEntered: false };
      return station;
    }));
    showNotice("exited successfully");
    return { shown: "exited", answer };
  };

  /** The patient presses "enter clinic" on the next open station. */
  observed.enterNext = async () => {
    const next = stations.find((station) => station.status === "ready" && !station.isEntered);
    if (next) await enterClinic(next.id);
    return next ? next.id : null;
  };

  async function loadPathway() {
    let saved = null;
    try {
      const answer = await request(`/route/get?patientId=${user}`);
      if (answer && answer.success && answer.route && Array.isArray(answer.route.stations)) saved = answer.route.stations;
    } catch {
      // 404 on a first visit: "Route not found"
    }
    const route = saved || routeIds.map((id) => ({ id }));
    if (!saved) {
      await request("/route/create", {
        method: "POST",
        body: JSON.stringify({ patientId: user, examType: "recruitment", gender: "male", stations: route }),
      });
    }
    setStations(route.map((station, index) => ({
      id: station.id,
      status: index === 0 ? "ready" : "locked",
      yourNumber: 0,
      ahead: 0,
      isEntered: false,
    })));
    await enterClinic(route[0].id);
  }

  request("/pin/status").catch(() => {}); // 401 for patients: caught, no PIN shown
  try {
    const appStream = new EventSource(`${API}/events/stream`);
    appStream.onerror = () => setTimeout(() => appStream.close(), 3000);
    const patientStream = new EventSource(`${API}/events/stream?user=${user}`);
    patientStream.onerror = () => patientStream.close();
  } catch {
    // no EventSource
  }
  loadPathway().catch((error) => {
    document.getElementById("error").textContent = `load failed: ${error.message}`;
  });
})();
