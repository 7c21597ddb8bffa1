import { createRouter } from "../_shared/router.ts";
import { routeCreate } from "./create.ts";
import { routeGet } from "./get.ts";

Deno.serve(createRouter("route", {
  "POST /create": routeCreate,
  "GET /get": routeGet,
}));
