import { createRouter } from "../_shared/router.ts";
import { adminRoute } from "../_shared/admin-auth.ts";
import { pinStatusHandler } from "./status.ts";
import { pinGenerateHandler } from "./generate.ts";

// PINs reach admins only: both routes require an admin token (bug S2).
Deno.serve(createRouter("pin", {
  "GET /status": adminRoute(pinStatusHandler),
  "POST /generate": adminRoute(pinGenerateHandler),
}));
