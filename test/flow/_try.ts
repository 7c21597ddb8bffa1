import { startDatabase } from "/work/main/test/flow/_db.ts";
const db = await startDatabase();
try {
  const r = await db.sql`select love.queue_enter('xray', 'u1', now()) as r`;
  console.log(JSON.stringify(r[0]!.r));
  console.log(JSON.stringify((await db.sql`select love.queue_status('xr', now()) as r`)[0]!.r));
} finally { await db.stop(); }
