import type { RequestContext } from "../_shared/router.ts";
import { businessNow } from "../_shared/clock.ts";
import { getFailure, getResponse, postFailure, postResponse, type SqlResult } from "../_shared/outcomes.ts";
import { choosePath } from "../_shared/route-repository.ts";
import { parseExamType, parseGender, parseUserKey, readJsonObject } from "../_shared/validation.ts";

type Inputs = { patientId?: unknown; examType?: unknown; gender?: unknown };
type Parsed = { ok: true; patient: string | null; examType: string | null; gender: string | null } | { ok: false; code: string };

function parse(inputs: Inputs): Parsed {
  const present = (value: unknown) => value !== undefined && value !== null && value !== "";
  const patient = present(inputs.patientId) ? parseUserKey(inputs.patientId) : null;
  if (present(inputs.patientId) && patient === null) return { ok: false, code: "INVALID_USER" };
  const examType = present(inputs.examType) ? parseExamType(inputs.examType) : null;
  if (present(inputs.examType) && examType === null) return { ok: false, code: "UNKNOWN_EXAM_TYPE" };
  const gender = present(inputs.gender) ? parseGender(inputs.gender) : null;
  if (present(inputs.gender) && gender === null) return { ok: false, code: "INVALID_GENDER" };
  return { ok: true, patient, examType, gender };
}

function run(parsed: Parsed & { ok: true }, request: Request): Promise<SqlResult> {
  return choosePath(parsed.patient, parsed.examType, parsed.gender, businessNow(request));
}

/** Contract row 11 (GET, optional ?patientId=&examType=&gender=): {success, sticky, route:[clinic ids], path}. */
export async function pathChooseGet({ request, params }: RequestContext): Promise<Response> {
  const parsed = parse({
    patientId: params.get("patientId") ?? undefined,
    examType: params.get("examType") ?? undefined,
    gender: params.get("gender") ?? undefined,
  });
  if (!parsed.ok) return getFailure(parsed.code);
  return getResponse(await run(parsed, request));
}

/** The same for api-unified's POST {gender, patientId?, examType?}: failures are HTTP 200. */
export async function pathChoosePost({ request }: RequestContext): Promise<Response> {
  const body = await readJsonObject(request);
  const parsed = parse({ patientId: body.patientId, examType: body.examType, gender: body.gender });
  if (!parsed.ok) return postFailure(parsed.code);
  return postResponse(await run(parsed, request));
}
