// The machine codes the SQL functions return, turned into the contract's envelopes. The frontend turns any
// non-2xx POST into a fake success and replays it, so a POST's failure is HTTP 200 {success:false, error};
// a GET's failure keeps its HTTP status (404 "User not in queue", 404 "Route not found", 400 ...).
import { fail, json } from "./http.ts";

interface Outcome {
  status: number;
  en: string;
  ar: string;
}

const OUTCOMES: Record<string, Outcome> = {
  MISSING_FIELDS: { status: 400, en: "Missing required fields", ar: "حقول مطلوبة مفقودة" },
  INVALID_CLINIC: { status: 400, en: "Invalid clinic", ar: "رمز العيادة غير صالح" },
  UNKNOWN_CLINIC: { status: 404, en: "Unknown clinic", ar: "العيادة غير معروفة" },
  INVALID_USER: { status: 400, en: "Invalid user", ar: "معرّف المراجع غير صالح" },
  INVALID_PATIENT_ID: { status: 400, en: "Invalid patientId format", ar: "الرقم العسكري يجب أن يكون من 2 إلى 12 رقماً" },
  INVALID_GENDER: { status: 400, en: "Invalid gender", ar: "الجنس غير صالح" },
  NOT_IN_QUEUE: { status: 404, en: "User not in queue", ar: "المراجع غير موجود في الطابور" },
  PIN_REQUIRED: { status: 400, en: "PIN required", ar: "يجب إدخال رقم PIN" },
  WRONG_PIN: { status: 403, en: "Incorrect PIN", ar: "رقم PIN غير صحيح" },
  PIN_LOCKED: { status: 429, en: "Too many incorrect PINs: try again later", ar: "محاولات خاطئة كثيرة، حاول لاحقاً" },
  NOT_YOUR_TURN: { status: 409, en: "Not your turn yet: finish the clinic once staff call you or you are next", ar: "لم يحن دورك بعد، يمكنك إنهاء العيادة عند استدعائك أو عندما تكون التالي" },
  ENTRY_BUDGET_EXCEEDED: { status: 429, en: "Too many new tickets here right now: try again in a moment", ar: "عدد كبير من الأرقام الجديدة الآن، حاول بعد قليل" },
  ROUTE_NOT_FOUND: { status: 404, en: "Route not found", ar: "المسار غير موجود" },
  UNKNOWN_EXAM_TYPE: { status: 400, en: "Unknown exam type", ar: "نوع الفحص غير معروف" },
  INVALID_STATIONS: { status: 400, en: "Invalid stations", ar: "قائمة العيادات غير صالحة" },
  UNKNOWN_STATION: { status: 400, en: "Unknown station in route", ar: "عيادة غير معروفة في المسار" },
  // The staff side (issue 4).
  NO_PATIENTS_WAITING: { status: 404, en: "No patients waiting", ar: "لا يوجد مراجعون في الانتظار" },
  INVALID_INTERVAL: { status: 400, en: "interval_minutes must be a whole number from 1 to 240", ar: "الفاصل الزمني غير صالح" },
  INVALID_PERIOD: { status: 400, en: "Invalid report period", ar: "فترة التقرير غير صالحة" },
  INVALID_REQUEST_ID: { status: 400, en: "Invalid X-Request-Id / Idempotency-Key", ar: "معرّف الطلب غير صالح" },
  INVALID_LIMIT: { status: 400, en: "limit must be a whole number from 1 to 100", ar: "الحد غير صالح" },
  // Staff queue actions (issue 15).
  INVALID_NUMBER: { status: 400, en: "number must be a ticket number (a whole number from 1)", ar: "رقم الدور غير صالح" },
  INVALID_REASON: { status: 400, en: "reason must be text of at most 64 characters", ar: "السبب غير صالح" },
  INVALID_MIN_AGE: { status: 400, en: "min_age_seconds must be a whole number from 0 to 86400", ar: "المدة غير صالحة" },
  NOT_CANCELLABLE: { status: 409, en: "A finished ticket cannot be cancelled", ar: "لا يمكن إلغاء رقم منتهٍ" },
  // Abuse ceilings and the page's self-heal report (issue 11).
  RATE_LIMITED: { status: 429, en: "Too many requests: slow down and retry later", ar: "طلبات كثيرة، حاول لاحقاً" },
  INVALID_RECOVERY: { status: 400, en: "Invalid recovery report", ar: "تقرير الاستعادة غير صالح" },
};

const FALLBACK: Outcome = { status: 400, en: "Request failed", ar: "تعذر تنفيذ الطلب" };

export type SqlResult = { success: boolean; code?: string } & Record<string, unknown>;

function split(result: SqlResult): { outcome: Outcome; code: string; details: Record<string, unknown> } {
  const { success: _success, code = "FAILED", ...details } = result;
  return { outcome: OUTCOMES[code] ?? FALLBACK, code, details };
}

/** A POST's answer: success as is; a failure as HTTP 200 {success:false, error (ar), message (en), code}. */
export function postResponse(result: SqlResult): Response {
  if (result.success) return json(result);
  const { outcome, code, details } = split(result);
  // A lockout (PIN_LOCKED) says when to retry, as a 429 would, while staying a 200 the frontend does not replay.
  const retryAfter = details.retry_after_seconds;
  const headers: Record<string, string> = typeof retryAfter === "number" && retryAfter > 0
    ? { "Retry-After": String(Math.ceil(retryAfter)) }
    : {};
  return fail(200, outcome.ar, { message: outcome.en, code, ...details }, headers);
}

/** A GET's answer: success as is; a failure with its HTTP status and {success:false, error (en), code}. */
export function getResponse(result: SqlResult): Response {
  if (result.success) return json(result);
  const { outcome, code, details } = split(result);
  return fail(outcome.status, outcome.en, { message: outcome.ar, code, ...details });
}

export function postFailure(code: string, details: Record<string, unknown> = {}): Response {
  return postResponse({ success: false, code, ...details });
}

export function getFailure(code: string, details: Record<string, unknown> = {}): Response {
  return getResponse({ success: false, code, ...details });
}

export function outcomeFor(code: string): Outcome {
  return OUTCOMES[code] ?? FALLBACK;
}
