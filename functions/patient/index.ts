import { createRouter } from "../_shared/router.ts";
import { patientLogin } from "./login.ts";

Deno.serve(createRouter("patient", {
  "POST /login": patientLogin,
}));
