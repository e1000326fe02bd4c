import { Injectable, Logger } from '@nestjs/common';
import type { Identity } from '../../common/auth/identity';
import type { ProgramCancelledDto } from '../dto/program.responses';
import { ProgramNotFoundError, ProgramNotRunningError } from '../errors/program.errors';
import { ProgramFilesRepository } from '../program-files.repository';
import { ProgramsRepository } from '../programs.repository';
import { CANCELLED } from '../settle.policy';
import { ProgramSettler } from '../work/program-settler';

/**
 * Cancel (SPEC §8.4): every file of the first run not yet settled becomes a CANCELLED failure (not
 * retried automatically; a manual retry may), and the program settles `cancelled`. The stop fences
 * the files' leases in the same transaction, so no Document is written for them once this answers;
 * replicas working on them notice at their next lease renewal and stop.
 */
@Injectable()
export class CancelProgram {
  private readonly logger = new Logger(CancelProgram.name);

  constructor(
    private readonly programs: ProgramsRepository,
    private readonly files: ProgramFilesRepository,
    private readonly settler: ProgramSettler,
  ) {}

  async cancel(programId: string, caller: Identity): Promise<ProgramCancelledDto> {
    if (!(await this.programs.findOwned(programId, caller, false))) throw new ProgramNotFoundError();
    const stopped = await this.files.stopUnsettled(programId, CANCELLED, 'the program was cancelled');
    if (stopped === undefined) throw new ProgramNotRunningError();
    this.logger.log({ program_id: programId, stopped }, `program ${programId} cancelled; ${stopped} files stopped`);
    await this.settler.settleIfDone(programId);
    const after = await this.programs.findById(programId);
    return { program_id: programId, status: after?.status ?? 'cancelled' };
  }
}
