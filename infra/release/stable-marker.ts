// Where "the last version that worked" is recorded, per stack.
//
//   .last-stable-version.<stack>   the stable commit of <stack> (one full sha and a newline)
//   .last-stable-version           the same for prod, so the owner's literal
//                                  `git checkout $(cat .last-stable-version) && npm run deploy` redeploys prod's
//   tag stable/<stack>             an annotated tag on that commit (moved on every mark), pushable to origin so a
//                                  fresh CI checkout knows it too
//
// The files are untracked and git-ignored: writing them never dirties the work tree, and `git checkout` of an older
// commit leaves them in place. Reading prefers the file (what a person sees with `cat`) and falls back to the tag.
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { DEFAULT_STACK } from "./settings.ts";
import { forceTag, hasRemote, pushTag, resolveCommit, tagCommit } from "./git.ts";

export const LEGACY_MARKER = ".last-stable-version";

export function markerFile(stack: string): string {
  return `${LEGACY_MARKER}.${stack}`;
}

export function stableTag(stack: string): string {
  return `stable/${stack}`;
}

export interface StableRelease {
  commit: string;
  /** Where it was read from, for messages. */
  source: string;
  /** Set when the file and the tag disagree. */
  conflict?: string;
}

async function readMarker(file: string): Promise<string | undefined> {
  try {
    const text = (await readFile(file, "utf8")).trim();
    return text === "" ? undefined : text;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

export async function readStable(repoDir: string, stack: string): Promise<StableRelease | undefined> {
  const files = [markerFile(stack), ...(stack === DEFAULT_STACK ? [LEGACY_MARKER] : [])];
  const tag = stableTag(stack);
  const tagged = await tagCommit(repoDir, tag);
  for (const file of files) {
    const text = await readMarker(path.join(repoDir, file));
    if (text === undefined) continue;
    const commit = await resolveCommit(repoDir, text);
    if (!commit) {
      throw new Error(
        `${file} names "${text.slice(0, 60)}", which is not a commit in this clone (git fetch, or fix the file)`,
      );
    }
    return {
      commit,
      source: file,
      ...(tagged && tagged !== commit ? { conflict: `tag ${tag} points at ${tagged} (the file wins)` } : {}),
    };
  }
  return tagged ? { commit: tagged, source: `tag ${tag}` } : undefined;
}

export interface MarkOptions {
  /** Also push the tag to this remote (CI: origin), when the remote exists. */
  pushTo?: string;
  /** The tag's message: what made this commit stable. */
  note: string;
}

/** Records `commit` as the stable release of `stack`; returns what was written. */
export async function markStable(repoDir: string, stack: string, commit: string, options: MarkOptions): Promise<string[]> {
  const written: string[] = [];
  const files = [markerFile(stack), ...(stack === DEFAULT_STACK ? [LEGACY_MARKER] : [])];
  for (const file of files) {
    await writeFile(path.join(repoDir, file), `${commit}\n`);
    written.push(file);
  }
  const tag = stableTag(stack);
  await forceTag(repoDir, tag, commit, `stable for ${stack}: ${options.note}`);
  written.push(`tag ${tag}`);
  if (options.pushTo) {
    if (await hasRemote(repoDir, options.pushTo)) {
      await pushTag(repoDir, options.pushTo, tag);
      written.push(`tag ${tag} pushed to ${options.pushTo}`);
    } else {
      written.push(`(no remote "${options.pushTo}": tag not pushed)`);
    }
  }
  return written;
}
