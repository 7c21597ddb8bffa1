// Edge function secrets in the fake Management API: set and delete in bulk; listed values are SHA-256 digests,
// never the secret itself, as the API answers.
import { type Operations, ok, sha256 } from "./fake-operations.ts";
import type { FakeProjectStore } from "./fake-project-store.ts";

export function secretOperations(store: FakeProjectStore): Operations {
  return {
    "GET /v1/projects/{ref}/secrets": ({ params }) =>
      store.withTarget(params, (project) =>
        ok([...project.secrets].map(([name, secret]) => ({ name, value: sha256(secret.value), updated_at: secret.updatedAt }))),
      ),
    "POST /v1/projects/{ref}/secrets": ({ params, body }) =>
      store.withTarget(params, (project) => {
        for (const { name, value } of body as { name: string; value: string }[]) {
          project.secrets.set(name, { value, updatedAt: new Date().toISOString() });
        }
        return { status: 201, body: undefined };
      }),
    "DELETE /v1/projects/{ref}/secrets": ({ params, body }) =>
      store.withTarget(params, (project) => {
        for (const name of body as string[]) project.secrets.delete(name);
        return { status: 200, body: undefined };
      }),
  };
}
