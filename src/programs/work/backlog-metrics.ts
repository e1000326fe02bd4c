import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { logMessage } from '../../database/sql';
import { MetricsService } from '../../metrics/metrics.service';
import { ProgramFilesRepository } from '../program-files.repository';

// Scrapers (several Prometheus replicas, a person with curl) may ask often; the counts are read at
// most this often and shared.
const READ_EVERY_MS = 10_000;

type Backlog = Awaited<ReturnType<ProgramFilesRepository['backlog']>>;

/**
 * `ingest_backlog_files{state}`: the work waiting over every program (pending), held by a worker
 * (leased) and needing a person (exhausted). The same on every replica: it is the database's view.
 */
@Injectable()
export class BacklogMetrics implements OnModuleInit {
  private readonly logger = new Logger(BacklogMetrics.name);
  private last?: { at: number; value: Backlog };

  constructor(
    private readonly files: ProgramFilesRepository,
    private readonly metrics: MetricsService,
  ) {}

  onModuleInit(): void {
    this.metrics.registerGauge(
      'ingest_backlog_files',
      'Files over all programs: pending (waiting for a worker), leased (being worked on), exhausted (automatic retries used up)',
      ['state'],
      async (gauge) => {
        const b = await this.read();
        if (!b) return;
        gauge.set({ state: 'pending' }, b.pending);
        gauge.set({ state: 'leased' }, b.leased);
        gauge.set({ state: 'exhausted' }, b.exhausted);
      },
    );
  }

  /** The counts, or the last ones known when the database cannot answer (a scrape never fails on it). */
  private async read(): Promise<Backlog | undefined> {
    if (this.last && Date.now() - this.last.at < READ_EVERY_MS) return this.last.value;
    try {
      this.last = { at: Date.now(), value: await this.files.backlog() };
    } catch (e) {
      this.logger.warn(`backlog metrics not read: ${logMessage(e)}`);
    }
    return this.last?.value;
  }
}
