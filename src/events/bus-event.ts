/** Fields every event carries, so a listener never has to look anything up to know where it came from. */
export interface EventMeta {
  /** Ties every event of one create / retry / recovery together in the logs. */
  correlationId: string;
  occurredAt: string;
}

/** Base of the catalogue: an event is its static name plus a complete payload. */
export abstract class BusEvent<P extends EventMeta = EventMeta> {
  static readonly eventName: string;

  constructor(readonly payload: P) {}

  get name(): string {
    return (this.constructor as typeof BusEvent).eventName;
  }
}

export const meta = (correlationId: string, now: Date = new Date()): EventMeta => ({
  correlationId,
  occurredAt: now.toISOString(),
});

/**
 * An event whose single listener answers (a command over the bus). The result type rides on the
 * class so `EventBus.request` is typed end to end.
 */
export abstract class RequestEvent<P extends EventMeta, R> extends BusEvent<P> {
  declare readonly __result?: R;
}
