import { createRouter } from "../_shared/router.ts";
import { adminRoute } from "../_shared/admin-auth.ts";
import { notifyStatusHandler } from "./status.ts";

Deno.serve(createRouter("notify", {
  "GET /status": adminRoute(notifyStatusHandler),
}));
