export type StackKind = "staging" | "prod" | "preview";

const PREVIEW_STACK = /^pr-([1-9]\d*)$/;

export function stackKindOf(stack: string): { kind: StackKind; prNumber?: number } | undefined {
  if (stack === "staging" || stack === "prod") return { kind: stack };
  const preview = PREVIEW_STACK.exec(stack);
  return preview ? { kind: "preview", prNumber: Number(preview[1]) } : undefined;
}
