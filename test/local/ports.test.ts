// The kernel offers a just-closed port again soon (measured: 67 repeats in 20 runs of 200 picks), and a stack
// asks for four ports before binding any: freePort must not hand the same one out twice.
import { describe, expect, it } from "vitest";
import { freePort } from "../../local/ports.ts";

describe("freePort", () => {
  it("hands out 200 different ports in a row", async () => {
    const ports: number[] = [];
    for (let i = 0; i < 200; i++) ports.push(await freePort());
    expect(new Set(ports).size).toBe(200);
  });
});
