import { createRouter } from "../_shared/router.ts";
import { clinicExit } from "./exit.ts";

Deno.serve(createRouter("clinic", {
  "POST /exit": clinicExit,
}));
