package io.troupe.core.quota;

import io.troupe.core.CborSerializable;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.SingletonActor;

/**
 * The cluster-wide quota: a cluster singleton that owns, for the LLM gateways, one request bucket
 * and one token bucket per provider (sized by the per-minute limits the nodes state), and for the
 * ingress one rate bucket per tenant, and leases their permits to the nodes in batches
 * ({@link GlobalQuota}). It never grants more than its buckets hold, so
 * the nodes together stay under the limit however many there are.
 *
 * <p>Its state is soft: when the singleton moves to another node (the oldest one left), the new
 * instance starts with full buckets. See docs/providers.md, "Cluster-wide quota", for what that
 * means for the guarantee.
 */
public final class QuotaCoordinator extends AbstractBehavior<QuotaCoordinator.Command> {

  /** The singleton's name (one singleton for the LLM quota and the tenants' rates). */
  public static final String NAME = "llm-quota";

  /** Messages from the nodes' gateways and ingresses; they cross the network. */
  public sealed interface Command extends CborSerializable {}

  /**
   * A gateway asks for permits of {@code provider}, whose limits it states (0: not limited). It
   * wants {@code requests} requests and {@code tokens} tokens, and needs at least one request and
   * {@code minTokens} tokens for the call that waits (a prefetch asks with {@code minTokens} 1).
   */
  public record RequestLease(
      String provider, long requestsPerMinute, long tokensPerMinute, long requests, long tokens, long minTokens,
      ActorRef<Lease> replyTo)
      implements Command {}

  /**
   * A node asks for up to {@code want} permits of the rate pool {@code key} (e.g. {@code tenant:acme}):
   * {@code perSecond}, at most {@code burst} saved up. Answered with a {@link Lease} whose
   * {@code requests} are the permits.
   */
  public record RequestRateLease(String key, double perSecond, long burst, long want, ActorRef<Lease> replyTo)
      implements Command {}

  /**
   * The answer: the permits granted, to be spent within the node's lease TTL; or none, and how long
   * until the buckets could grant the minimum asked for ({@code retryAfterMillis} &gt; 0).
   */
  public record Lease(String provider, long requests, long tokens, long retryAfterMillis) implements CborSerializable {
    public boolean granted() {
      return retryAfterMillis <= 0;
    }
  }

  /**
   * Starts (or finds) the singleton on the cluster of {@code system} and returns its proxy. The
   * singleton runs on the oldest node; {@code nanoClock} is the one its buckets refill by when it
   * runs on this node.
   */
  public static ActorRef<Command> initSingleton(ActorSystem<?> system, LongSupplier nanoClock) {
    return ClusterSingleton.get(system).init(SingletonActor.of(create(nanoClock), NAME));
  }

  public static Behavior<Command> create(LongSupplier nanoClock) {
    return Behaviors.setup(ctx -> new QuotaCoordinator(ctx, nanoClock));
  }

  private final LongSupplier clock;
  private final GlobalQuota quota = new GlobalQuota();

  private QuotaCoordinator(ActorContext<Command> ctx, LongSupplier clock) {
    super(ctx);
    this.clock = clock;
    ctx.getLog().info("LLM quota coordinator started on {}", ctx.getSystem().address());
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(RequestLease.class, this::onRequestLease)
        .onMessage(RequestRateLease.class, this::onRequestRateLease)
        .build();
  }

  private Behavior<Command> onRequestRateLease(RequestRateLease m) {
    GlobalQuota.Grant grant = quota.grantRate(m.key(), m.perSecond(), m.burst(), m.want(), clock.getAsLong());
    long retryMillis = grant.granted() ? 0 : Math.max(1, (grant.retryAfterNanos() + 999_999) / 1_000_000);
    m.replyTo().tell(new Lease(m.key(), grant.requests(), 0, retryMillis));
    return this;
  }

  private Behavior<Command> onRequestLease(RequestLease m) {
    GlobalQuota.Grant grant = quota.grant(m.provider(), m.requestsPerMinute(), m.tokensPerMinute(), m.requests(),
        m.tokens(), m.minTokens(), clock.getAsLong());
    long retryMillis = grant.granted() ? 0 : Math.max(1, (grant.retryAfterNanos() + 999_999) / 1_000_000);
    m.replyTo().tell(new Lease(m.provider(), grant.requests(), grant.tokens(), retryMillis));
    return this;
  }
}
