import { Injectable } from '@nestjs/common';
import { EventEmitter2, OnEvent } from '@nestjs/event-emitter';
import type { BusEvent } from './bus-event';

/** Typed facade over the emitter: modules emit catalogue events and await every listener. */
@Injectable()
export class EventBus {
  constructor(private readonly emitter: EventEmitter2) {}

  async publish(event: BusEvent): Promise<void> {
    await this.emitter.emitAsync(event.name, event);
  }
}

/**
 * Subscribes to a catalogue event. Errors propagate to the publisher (the emitter swallows them
 * by default), so an infrastructure failure leaves the file unsettled instead of silently lost.
 */
export function OnBusEvent(event: { eventName: string }): MethodDecorator {
  return OnEvent(event.eventName, { suppressErrors: false, async: false });
}
