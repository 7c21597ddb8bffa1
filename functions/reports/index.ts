import { createRouter } from "../_shared/router.ts";
import { adminRoute } from "../_shared/admin-auth.ts";
import { reportHandler, reportsHistoryHandler } from "./handlers.ts";

Deno.serve(createRouter("reports", {
  "GET /history": adminRoute(reportsHistoryHandler),
  "GET /daily": adminRoute(reportHandler("daily")),
  "GET /weekly": adminRoute(reportHandler("weekly")),
  "GET /monthly": adminRoute(reportHandler("monthly")),
  "GET /annual": adminRoute(reportHandler("annual")),
}));
