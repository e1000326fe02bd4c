import { ValidationError, ValidationPipe } from '@nestjs/common';
import { InvalidRequestError } from '../errors/domain.error';

/** The first failed constraint decides the code; decorators name theirs via `context: { code }`. */
function firstFailure(errors: ValidationError[], path = ''): { code: string; message: string } | undefined {
  for (const e of errors) {
    const where = path ? `${path}.${e.property}` : e.property;
    if (e.constraints) {
      const [name, message] = Object.entries(e.constraints)[0];
      const code = (e.contexts?.[name] as { code?: string } | undefined)?.code ?? 'VALIDATION_FAILED';
      return { code, message };
    }
    const nested = firstFailure(e.children ?? [], where);
    if (nested) return nested;
  }
  return undefined;
}

export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    transform: true,
    whitelist: true,
    // Every element of a 100,000-path list would otherwise be reported; one reason is enough.
    stopAtFirstError: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => {
      const f = firstFailure(errors) ?? { code: 'VALIDATION_FAILED', message: 'invalid request' };
      return new InvalidRequestError(f.code, f.message);
    },
  });
}
