import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { ProgramsRepository } from '../programs.repository';
import { ProgramNotificationQuery, ProgramNotificationView } from '../queries/program-notification.query';

/** What the notifications module may ask of programs: the facts a webhook body is made of. */
@QueryHandler(ProgramNotificationQuery)
export class ProgramNotificationHandler implements IQueryHandler<
  ProgramNotificationQuery,
  ProgramNotificationView | undefined
> {
  constructor(private readonly programs: ProgramsRepository) {}

  async execute({ programId }: ProgramNotificationQuery): Promise<ProgramNotificationView | undefined> {
    const row = await this.programs.notificationView(programId);
    if (!row) return undefined;
    return {
      webhookUrl: row.webhook_url,
      status: row.status,
      summary: { preprocessing: totals(row.preprocessing), document_storage: totals(row.document_storage) },
    };
  }
}

// A summary written by an older edition may lack a count; a receiver always gets all three numbers.
const totals = (s: Partial<Record<'total' | 'success' | 'failed', unknown>> | null) => ({
  total: Number(s?.total ?? 0),
  success: Number(s?.success ?? 0),
  failed: Number(s?.failed ?? 0),
});
