import { Query } from '@nestjs/cqrs';

export interface StageTotals {
  total: number;
  success: number;
  failed: number;
}

/** What a notification about a program says: where it goes, and the program as it stands now. */
export interface ProgramNotificationView {
  /** Null when the program asked for no notifications. */
  webhookUrl: string | null;
  status: string;
  /** The `summary` objects of metadata_json's two stages. */
  summary: { preprocessing: StageTotals; document_storage: StageTotals };
}

/** A program's webhook target, status and stage summaries; undefined when it does not exist. */
export class ProgramNotificationQuery extends Query<ProgramNotificationView | undefined> {
  constructor(readonly programId: string) {
    super();
  }
}
