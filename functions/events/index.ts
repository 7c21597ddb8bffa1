import { createRouter } from "../_shared/router.ts";
import { eventsStream } from "./stream.ts";

Deno.serve(createRouter("events", {
  "GET /stream": eventsStream,
}));
