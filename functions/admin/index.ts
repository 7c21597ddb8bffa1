import { createRouter } from "../_shared/router.ts";
import { adminRoute } from "../_shared/admin-auth.ts";
import { adminLogin } from "./login.ts";
import { adminLogoutHandler, adminLogoutLinkHandler, adminSessionHandler } from "./session.ts";
import { issueLinkHandler, listSessionsHandler, revokeSessionHandler } from "./sessions.ts";
import { adminStatusHandler } from "./status.ts";
import { callIntervalHandler, setCallIntervalHandler } from "./call-interval.ts";

// Reached as POST /admin/login (outside /api/v1, contract row 17) and as /api/v1/admin/<action>.
Deno.serve(createRouter("admin", {
  "POST /login": adminLogin,
  "GET /session": adminSessionHandler,
  "POST /logout": adminRoute(adminLogoutHandler),
  "GET /logout": adminLogoutLinkHandler,
  "GET /sessions": adminRoute(listSessionsHandler),
  "POST /sessions/revoke": adminRoute(revokeSessionHandler),
  "POST /link": adminRoute(issueLinkHandler),
  "GET /status": adminRoute(adminStatusHandler),
  "POST /set-call-interval": adminRoute(setCallIntervalHandler),
  "GET /call-interval": adminRoute(callIntervalHandler),
}));
