import { databaseConnection, DatabaseUrlError } from './connection-options';

const FILES: Record<string, string> = {
  '/certs/ca.pem': 'CA PEM',
  '/certs/client.pem': 'CLIENT CERT',
  '/certs/client.key': 'CLIENT KEY',
};
const read = (path: string): string => {
  const pem = FILES[path];
  if (pem === undefined) throw new Error('ENOENT: no such file or directory');
  return pem;
};
const BASE = 'postgres://ingest:s%40cret@db.example.com:6543/ingest';
const conn = (query = '', env: Record<string, string> = {}) => databaseConnection(`${BASE}${query}`, env, read);
const ssl = (query = '', env: Record<string, string> = {}) => conn(query, env).options.ssl;

describe('databaseConnection', () => {
  it('takes server, credentials and database from the URL, and never hands pg the URL itself', () => {
    expect(conn().options).toEqual({
      host: 'db.example.com',
      port: 6543,
      user: 'ingest',
      password: 's@cret',
      database: 'ingest',
      ssl: false,
    });
    expect(conn().options).not.toHaveProperty('connectionString');
    expect(databaseConnection('postgres://[::1]/x', {}, read).options.host).toBe('::1');
    // A Unix socket directory in the query wins over the URL's (empty) host, as in libpq.
    expect(databaseConnection('postgres:///db?host=/cloudsql/p:r:i&user=u', {}, read).options).toEqual({
      host: '/cloudsql/p:r:i',
      user: 'u',
      database: 'db',
      ssl: false,
    });
  });

  it('describes where and how, never the password', () => {
    const c = conn('?sslmode=require');
    expect(c.description).toBe('db.example.com:6543/ingest (sslmode=require)');
    expect(c.description).not.toContain('cret');
  });

  it('disable, or nothing said at all: no TLS (and pg is told so, so it does not read PGSSLMODE itself)', () => {
    expect(ssl('?sslmode=disable')).toBe(false);
    expect(conn().sslMode).toBe('disable');
    expect(ssl('?sslmode=disable&sslrootcert=/certs/ca.pem')).toBe(false);
  });

  it('require: encrypted, not verified — unless a root certificate is given, then the chain is (libpq)', () => {
    expect(ssl('?sslmode=require')).toEqual({ rejectUnauthorized: false });
    const withCa = ssl('?sslmode=require&sslrootcert=/certs/ca.pem');
    expect(withCa).toMatchObject({ ca: 'CA PEM', rejectUnauthorized: true });
    // verify-ca semantics: the host name is not compared.
    expect(withCa && withCa.checkServerIdentity?.('other.host', {} as never)).toBeUndefined();
  });

  it('prefer cannot fall back to plain text with this driver: it is require', () => {
    expect(ssl('?sslmode=prefer')).toEqual({ rejectUnauthorized: false });
    expect(conn('?sslmode=prefer').sslMode).toBe('prefer');
  });

  it('verify-ca: the chain against the given CA, not the host name; refused without a CA', () => {
    const s = ssl('?sslmode=verify-ca&sslrootcert=/certs/ca.pem');
    expect(s).toMatchObject({ ca: 'CA PEM', rejectUnauthorized: true });
    expect(s && typeof s.checkServerIdentity).toBe('function');
    expect(() => conn('?sslmode=verify-ca')).toThrow(/verify-ca needs sslrootcert/);
  });

  it('verify-full: chain and host name, against the given CA or else the public ones', () => {
    const s = ssl('?sslmode=verify-full&sslrootcert=/certs/ca.pem');
    expect(s).toEqual({ ca: 'CA PEM', rejectUnauthorized: true, checkServerIdentity: expect.any(Function) });
    expect(ssl('?sslmode=verify-full')).toEqual({
      rejectUnauthorized: true,
      checkServerIdentity: expect.any(Function),
    });
    expect(ssl('?sslmode=verify-full&sslrootcert=system')).toMatchObject({ rejectUnauthorized: true });
    expect(ssl('?sslmode=verify-full&sslrootcert=system')).not.toHaveProperty('ca');
    expect(() => conn('?sslmode=require&sslrootcert=system')).toThrow(/sslrootcert=system needs sslmode=verify-full/);
  });

  it('verify-full compares the certificate with the host of the URL, whatever name TLS was given', () => {
    const cert = (name: string) => ({ subject: { CN: name }, subjectaltname: `DNS:${name}` }) as never;
    const check = (url: string) => {
      const s = databaseConnection(url, {}, read).options.ssl;
      if (!s || !s.checkServerIdentity) throw new Error('no host name check');
      return s.checkServerIdentity;
    };
    expect(check(`${BASE}?sslmode=verify-full`)('localhost', cert('db.example.com'))).toBeUndefined();
    expect(check(`${BASE}?sslmode=verify-full`)('db.example.com', cert('localhost'))).toMatchObject({
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
    });
    const byAddress = check('postgres://u@10.1.2.3/db?sslmode=verify-full');
    // For an IP address pg sends no server name: the address itself must be in the certificate.
    expect(byAddress('localhost', cert('localhost'))).toMatchObject({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    expect(byAddress('localhost', { subject: {}, subjectaltname: 'IP Address:10.1.2.3' } as never)).toBeUndefined();
  });

  it('client certificates come with their key', () => {
    expect(ssl('?sslmode=verify-full&sslcert=/certs/client.pem&sslkey=/certs/client.key')).toMatchObject({
      cert: 'CLIENT CERT',
      key: 'CLIENT KEY',
      rejectUnauthorized: true,
    });
    expect(() => conn('?sslmode=require&sslcert=/certs/client.pem')).toThrow(/go together/);
  });

  it('PGSSLMODE and PGSSLROOTCERT apply when the URL says nothing; the URL wins when it does', () => {
    expect(ssl('', { PGSSLMODE: 'require' })).toEqual({ rejectUnauthorized: false });
    expect(ssl('', { PGSSLMODE: 'verify-full', PGSSLROOTCERT: '/certs/ca.pem' })).toMatchObject({
      ca: 'CA PEM',
      rejectUnauthorized: true,
    });
    expect(ssl('?sslmode=disable', { PGSSLMODE: 'verify-full' })).toBe(false);
    expect(ssl('?sslmode=require', { PGSSLMODE: 'disable' })).toEqual({ rejectUnauthorized: false });
    expect(
      ssl('?sslmode=verify-full', { PGSSLCERT: '/certs/client.pem', PGSSLKEY: '/certs/client.key' }),
    ).toMatchObject({
      cert: 'CLIENT CERT',
      key: 'CLIENT KEY',
      rejectUnauthorized: true,
    });
  });

  it("node-postgres' own spellings: ssl=true verifies everything, no-verify encrypts only", () => {
    expect(conn('?ssl=true').sslMode).toBe('verify-full');
    expect(ssl('?ssl=0')).toBe(false);
    expect(ssl('?sslmode=no-verify&sslrootcert=/certs/ca.pem')).toEqual({ ca: 'CA PEM', rejectUnauthorized: false });
  });

  it('refuses what it cannot honour, saying why', () => {
    expect(() => conn('?sslmode=allow')).toThrow(/sslmode=allow is not supported/);
    expect(() => conn('?sslmode=verify_full')).toThrow(DatabaseUrlError);
    expect(() => conn('', { PGSSLMODE: 'strict' })).toThrow(/sslmode must be one of/);
    expect(() => conn('?sslmode=verify-full&sslrootcert=/certs/missing.pem')).toThrow(
      /cannot read sslrootcert \/certs\/missing\.pem/,
    );
    expect(() => databaseConnection('not a url', {}, read)).toThrow(/not a valid URL/);
  });
});
