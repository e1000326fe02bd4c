import { Injectable } from '@nestjs/common';
import { EventEmitter2, OnEvent } from '@nestjs/event-emitter';
import type { BusEvent, EventMeta, RequestEvent } from './bus-event';

/** Typed facade over the emitter: modules emit catalogue events and await every listener. */
@Injectable()
export class EventBus {
  constructor(private readonly emitter: EventEmitter2) {}

  async publish(event: BusEvent): Promise<void> {
    await this.emitter.emitAsync(event.name, event);
  }

  /** Sends a request event to its one listener and returns that listener's answer. */
  async request<P extends EventMeta, R>(event: RequestEvent<P, R>): Promise<R> {
    const answers = (await this.emitter.emitAsync(event.name, event)) as R[];
    if (answers.length !== 1) throw new Error(`${event.name} needs exactly one listener, found ${answers.length}`);
    return answers[0];
  }
}

/**
 * Subscribes to a catalogue event. Errors propagate to the publisher (the emitter swallows them
 * by default), so an infrastructure failure leaves the file unsettled instead of silently lost.
 */
export function OnBusEvent(event: { eventName: string }): MethodDecorator {
  return OnEvent(event.eventName, { suppressErrors: false, async: false });
}
