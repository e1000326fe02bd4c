import { databaseErrorMessage, isConnectionError, logMessage, storableMessage } from './sql';

describe('sql helpers', () => {
  it('keeps PostgreSQL’s own message and drops the statement and its values', () => {
    const e = Object.assign(
      new Error("INSERT INTO documents (id, title) VALUES ('d1', 'Secret title') - document refused by test trigger"),
      {
        code: 'P0001',
      },
    );
    expect(databaseErrorMessage(e)).toBe('document refused by test trigger (SQLSTATE P0001)');
    expect(databaseErrorMessage(new Error('plain'))).toBe('the database refused the statement');
  });

  it('never passes on constraint, table or column names', () => {
    const dup = Object.assign(new Error('duplicate key value violates unique constraint "documents_pkey"'), {
      code: '23505',
    });
    expect(databaseErrorMessage(dup)).toBe('the row breaks a database rule (SQLSTATE 23505)');
    const long = Object.assign(new Error('value too long for type character varying(500)'), { code: '22001' });
    expect(databaseErrorMessage(long)).toBe('a value is out of range for the database (SQLSTATE 22001)');
  });

  it('tells a lost database from a bad row', () => {
    expect(isConnectionError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isConnectionError(Object.assign(new Error('x'), { code: '57P01' }))).toBe(true);
    expect(isConnectionError(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isConnectionError(Object.assign(new Error('dup'), { code: '23505' }))).toBe(false);
  });

  it('makes error text storable: no NUL, bounded', () => {
    expect(storableMessage(new Error('a\u0000b'))).toBe('a b');
    expect(storableMessage('x'.repeat(5000))).toHaveLength(1000);
  });

  it('logs what went wrong without the statement', () => {
    const e = Object.assign(new Error("UPDATE program_files SET x = 'secret' - deadlock detected"), { code: '40P01' });
    expect(logMessage(e)).toBe('deadlock detected (SQLSTATE 40P01)');
    expect(logMessage(new TypeError('x is not a function'))).toBe('x is not a function');
  });
});
