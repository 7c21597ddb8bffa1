// Keys whose invalidation did not reach the cache (a timeout, an open breaker, an outage). Until a delete of a key
// is known to have reached the cache after its failure, this isolate neither serves nor stores that key: the
// committed write it belongs to was already answered, so serving the old value would be a stale read.
//
// Each failure gets a sequence number. A delete clears a key only if it started after the key's latest failure:
// a delete already in flight when a later write's delete failed proves nothing about that later write.
export class UnconfirmedInvalidations {
  private sequence = 0;
  private readonly failedAt = new Map<string, number>();

  /** The point an invalidation starts from; pass it to `confirm` when it succeeds. */
  begin(): number {
    return this.sequence;
  }

  fail(keys: readonly string[]): void {
    for (const key of keys) this.failedAt.set(key, ++this.sequence);
  }

  confirm(keys: readonly string[], startedAt: number): void {
    for (const key of keys) {
      const failure = this.failedAt.get(key);
      if (failure !== undefined && failure <= startedAt) this.failedAt.delete(key);
    }
  }

  has(key: string): boolean {
    return this.failedAt.has(key);
  }

  keys(): string[] {
    return [...this.failedAt.keys()];
  }
}
