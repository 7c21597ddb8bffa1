import { createRouter } from "../_shared/router.ts";
import { adminRoute } from "../_shared/admin-auth.ts";
import { statsDashboardHandler } from "./dashboard.ts";
import { statsQueuesHandler } from "./queues.ts";

Deno.serve(createRouter("stats", {
  "GET /dashboard": adminRoute(statsDashboardHandler),
  "GET /queues": adminRoute(statsQueuesHandler),
}));
