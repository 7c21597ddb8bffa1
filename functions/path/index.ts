import { createRouter } from "../_shared/router.ts";
import { pathChooseGet, pathChoosePost } from "./choose.ts";

Deno.serve(createRouter("path", {
  "GET /choose": pathChooseGet,
  "POST /choose": pathChoosePost,
}));
