package io.troupe.core.quota;

import java.util.ArrayDeque;
import java.util.Iterator;

/**
 * One node's leases of one provider's cluster quota: the permits the coordinator granted it, each
 * batch until it lapses. The gateway spends them on its hot path (one request and the call's token
 * estimate), settles the estimate with the real usage, and asks for the next batch once it runs
 * {@link #low}. Not thread-safe: it lives in the gateway actor.
 *
 * <p>Tokens a call used beyond its estimate are owed: they are taken from what is left, and what
 * is not left is paid from the next batch before anything else may spend it. Tokens a call did not
 * use go back to the newest batch that is still valid.
 */
public final class LocalLeases {

  private static final class Batch {
    long requests;
    long tokens;
    final long expiresAt;

    Batch(long requests, long tokens, long expiresAt) {
      this.requests = requests;
      this.tokens = tokens;
      this.expiresAt = expiresAt;
    }
  }

  private final boolean limitRequests;
  private final boolean limitTokens;
  private final long batchRequests;
  private final long batchTokens;
  private final ArrayDeque<Batch> batches = new ArrayDeque<>();
  private long tokenDebt;

  /**
   * @param batchRequests requests to ask for at a time; 0 when requests are not limited
   * @param batchTokens tokens to ask for at a time; 0 when tokens are not limited
   */
  public LocalLeases(long batchRequests, long batchTokens) {
    this.limitRequests = batchRequests > 0;
    this.limitTokens = batchTokens > 0;
    this.batchRequests = batchRequests;
    this.batchTokens = batchTokens;
  }

  public long batchRequests() {
    return batchRequests;
  }

  public long batchTokens() {
    return batchTokens;
  }

  public boolean limitsTokens() {
    return limitTokens;
  }

  /** A granted batch, valid until {@code expiresAt} on this node's clock. It first pays what is owed. */
  public void add(long requests, long tokens, long expiresAt, long nowNanos) {
    expire(nowNanos);
    long pay = Math.min(tokenDebt, Math.max(0, tokens));
    tokenDebt -= pay;
    batches.addLast(new Batch(Math.max(0, requests), Math.max(0, tokens) - pay, expiresAt));
  }

  /**
   * Takes one request and {@code tokens} tokens, oldest batch first, if the valid batches hold them
   * all; otherwise takes nothing.
   */
  public boolean tryTake(long tokens, long nowNanos) {
    expire(nowNanos);
    long need = limitTokens ? Math.max(0, tokens) : 0;
    if ((limitRequests && requests(nowNanos) < 1) || (limitTokens && this.tokens(nowNanos) < need)) {
      return false;
    }
    boolean requestTaken = !limitRequests;
    for (Batch b : batches) {
      if (!requestTaken && b.requests > 0) {
        b.requests--;
        requestTaken = true;
      }
      long t = Math.min(need, b.tokens);
      b.tokens -= t;
      need -= t;
      if (requestTaken && need == 0) break;
    }
    return true;
  }

  /** Corrects a call's reserved tokens by the real usage: {@code extra} more (or, negative, fewer) were used. */
  public void settle(long extra, long nowNanos) {
    if (!limitTokens || extra == 0) {
      return;
    }
    expire(nowNanos);
    if (extra < 0) {
      long back = -extra;
      long pay = Math.min(tokenDebt, back); // what is owed comes first
      tokenDebt -= pay;
      Batch newest = batches.peekLast();
      if (newest != null) newest.tokens += back - pay;
      return;
    }
    long owed = extra;
    for (Batch b : batches) {
      long t = Math.min(owed, b.tokens);
      b.tokens -= t;
      owed -= t;
      if (owed == 0) break;
    }
    tokenDebt += owed;
  }

  /** Valid requests left (Long.MAX_VALUE when requests are not limited). */
  public long requests(long nowNanos) {
    if (!limitRequests) return Long.MAX_VALUE;
    expire(nowNanos);
    long sum = 0;
    for (Batch b : batches) sum += b.requests;
    return sum;
  }

  /** Valid tokens left (Long.MAX_VALUE when tokens are not limited). */
  public long tokens(long nowNanos) {
    if (!limitTokens) return Long.MAX_VALUE;
    expire(nowNanos);
    long sum = 0;
    for (Batch b : batches) sum += b.tokens;
    return sum;
  }

  /** Tokens used beyond the estimates that no batch has paid yet. */
  public long tokenDebt() {
    return tokenDebt;
  }

  /** Time to ask for the next batch: half of one is left, or less. */
  public boolean low(long nowNanos) {
    return (limitRequests && requests(nowNanos) * 2 <= batchRequests)
        || (limitTokens && tokens(nowNanos) * 2 <= batchTokens);
  }

  private void expire(long nowNanos) {
    for (Iterator<Batch> it = batches.iterator(); it.hasNext(); ) {
      Batch b = it.next();
      boolean spent = (!limitRequests || b.requests == 0) && (!limitTokens || b.tokens == 0);
      if (nowNanos - b.expiresAt >= 0 || spent) {
        it.remove();
      }
    }
  }
}
