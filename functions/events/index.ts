import { createRouter } from "../_shared/router.ts";
import { eventsRecovery } from "./recovery.ts";
import { eventsStream } from "./stream.ts";

Deno.serve(createRouter("events", {
  "GET /stream": eventsStream,
  "POST /recovery": eventsRecovery,
}));
