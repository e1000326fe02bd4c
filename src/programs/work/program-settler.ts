import { Injectable, Logger } from '@nestjs/common';
import { EventBus } from '@nestjs/cqrs';
import { ProgramSettledEvent } from '../../events/catalogue';
import { ProgramFilesRepository } from '../program-files.repository';
import { ProgramSummaryService } from '../program-summary.service';
import { ProgramsRepository } from '../programs.repository';

/**
 * Settles a first run once no file is left unsettled: the replica that records the last file, one
 * that finds the program orphaned, a cancel or a spent budget. Whoever gets there first settles it,
 * once (the summary write is conditional), and only that one tells the others.
 */
@Injectable()
export class ProgramSettler {
  private readonly logger = new Logger(ProgramSettler.name);

  constructor(
    private readonly files: ProgramFilesRepository,
    private readonly programs: ProgramsRepository,
    private readonly summary: ProgramSummaryService,
    private readonly events: EventBus,
  ) {}

  async settleIfDone(programId: string): Promise<void> {
    if (await this.files.hasUnsettled(programId)) return;
    const program = await this.programs.findById(programId);
    if (!program || (program.status !== 'pending' && program.status !== 'processing')) return;
    const status = await this.summary.refresh(programId, program.total_files, 'settle');
    if (!status) return;
    const seconds = (Date.now() - Date.parse(program.created_at)) / 1000;
    this.logger.log(
      { program_id: programId, status, files: program.total_files, seconds },
      `program ${programId} ${status}`,
    );
    this.events.publish(new ProgramSettledEvent(programId, status, seconds));
  }
}
