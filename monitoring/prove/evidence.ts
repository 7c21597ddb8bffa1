// The proof's folder: every answer saved as JSON, every picture, and the list of what was written.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";

export class EvidenceDir {
  readonly files: string[] = [];

  private constructor(readonly dir: string) {}

  static async create(dir: string): Promise<EvidenceDir> {
    await mkdir(dir, { recursive: true });
    return new EvidenceDir(dir);
  }

  path(name: string): string {
    return path.join(this.dir, name);
  }

  async saveJson(name: string, data: unknown): Promise<void> {
    await writeFile(this.path(name), `${JSON.stringify(data, null, 2)}\n`);
    this.record(name);
  }

  async saveText(name: string, text: string): Promise<void> {
    await writeFile(this.path(name), text);
    this.record(name);
  }

  /** Records a file written by someone else (e.g. Chromium's screenshot). */
  record(name: string): void {
    if (!this.files.includes(name)) this.files.push(name);
  }
}
