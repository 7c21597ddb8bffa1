import { createRouter } from "../_shared/router.ts";
import { adminRoute } from "../_shared/admin-auth.ts";
import { queueCallHandler } from "./call.ts";
import { queueCancelHandler } from "./cancel.ts";
import { queueCancelUnseenHandler } from "./cancel-unseen.ts";
import { queueDone } from "./done.ts";
import { queueEnter } from "./enter.ts";
import { queuePositionHandler } from "./position.ts";
import { queueStatusHandler } from "./status.ts";

Deno.serve(createRouter("queue", {
  "POST /enter": queueEnter,
  "GET /position": queuePositionHandler,
  "GET /status": queueStatusHandler,
  "POST /done": queueDone,
  "POST /call": adminRoute(queueCallHandler),
  "POST /cancel": adminRoute(queueCancelHandler),
  "POST /cancel-unseen": adminRoute(queueCancelUnseenHandler),
}));
