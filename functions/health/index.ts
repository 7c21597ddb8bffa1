import { createRouter } from "../_shared/router.ts";
import { healthStatus } from "./status.ts";

Deno.serve(createRouter("health", {
  "GET /status": healthStatus,
  "GET /": healthStatus,
}));
