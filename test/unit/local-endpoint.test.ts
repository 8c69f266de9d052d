import { strict as assert } from 'node:assert';
import type * as dns from 'node:dns';
import { isLocalAddress, localEndpointProblem, localOnlyLookupVia, NotLocalError, type Resolver } from '../../backend/local-endpoint';
import { validateConfig } from '../../backend/config';

/** A resolver that answers every name with the given addresses (or error). */
const scripted = (answer: string[] | NodeJS.ErrnoException): Resolver => (_host, _opts, cb) =>
  answer instanceof Error ? cb(answer, []) : cb(null, answer.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));

function lookup(resolver: Resolver, host: string, all: boolean): Promise<{ err: NodeJS.ErrnoException | null; address: string | dns.LookupAddress[] }> {
  return new Promise((resolve) => localOnlyLookupVia(resolver)(host, { all }, (err, address) => resolve({ err, address })));
}

describe('local-only LLM endpoints: hostile values', () => {
  it('refuses look-alike names, userinfo tricks, public and unspecified addresses, and IPv6 outside the local ranges', () => {
    for (const url of [
      'http://127.0.0.1.evil.com:8080/v1',
      'http://localhost.evil.com/v1',
      'http://10.0.0.1.nip.io/v1',
      'http://127.0.0.1@evil.com/v1', // the host is evil.com; 127.0.0.1 is a user name
      'http://evil.com\\@127.0.0.1/', // WHATWG URL: a backslash ends the host
      'http://0.0.0.0:11434',
      'http://100.64.0.1:11434', // carrier-grade NAT is not a private network of this host
      'http://[2001:4860:4860::8888]:8080',
      'http://[::ffff:8.8.8.8]:8080', // IPv4-mapped public address
      'http://[fc::1]:8080', // 00fc::1, not fc00::/7: the old prefix test took it for unique-local
      'http://[fe::1]:8080',
      'http://[::]:8080',
      'file:///etc/passwd',
    ]) {
      assert.ok(localEndpointProblem(url), `accepted ${url}`);
    }
  });

  it('accepts loopback, private and link-local addresses in every spelling the URL parser allows', () => {
    for (const url of ['http://127.1:8080', 'http://0x7f000001:8080', 'http://[0:0:0:0:0:0:0:1]:8080', 'http://[::ffff:127.0.0.1]:8080', 'http://[fd12:3456::5]:8080', 'http://[febf::1]:8080', 'http://172.31.255.1', 'http://169.254.1.2', 'http://host.docker.internal:11434', 'http://LLM-Server:8080']) {
      assert.equal(localEndpointProblem(url), null, url);
    }
  });

  it('/config/validate names PRODUCT_OS_LLM_URL for each hostile value', () => {
    for (const url of ['http://127.0.0.1.evil.com:8080/v1', 'http://[::ffff:8.8.8.8]:8080', 'http://169.254.169.254/v1']) {
      const s = validateConfig({ PRODUCT_OS_LLM_URL: url }).find((r) => r.name === 'PRODUCT_OS_LLM_URL')!;
      assert.equal(s.status, 'invalid', url);
      assert.match(s.message, /^PRODUCT_OS_LLM_URL points at .*LLMs must stay local/);
    }
  });

  it('classifies resolved addresses of both families', () => {
    for (const ip of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.0.1', '::1', 'fd00::1', 'fe80::1', '::ffff:10.0.0.1']) assert.ok(isLocalAddress(ip), ip);
    for (const ip of ['8.8.8.8', '172.32.0.1', '192.169.0.1', '2001:db8::1', '::ffff:1.1.1.1', 'not-an-ip', '']) assert.ok(!isLocalAddress(ip), ip);
    // Link-local, but a cloud's instance-metadata service, in every form.
    for (const ip of ['169.254.169.254', '::ffff:169.254.169.254', '169.254.170.2', 'fd00:ec2::254']) assert.ok(!isLocalAddress(ip), ip);
  });
});

describe('local-only LLM endpoints: what a name resolves to, when connecting', () => {
  it('a name that resolves to a public address is refused, naming it and the address', async () => {
    const { err } = await lookup(scripted(['203.0.113.9']), 'llm', false);
    assert.ok(err instanceof NotLocalError);
    assert.match(err.message, /^names llm, which resolves to 203\.0\.113\.9: not this host/);
  });

  it('one public address among local ones is enough to refuse (the socket could pick it)', async () => {
    const { err } = await lookup(scripted(['127.0.0.1', '2001:db8::5']), 'gpu.local', true);
    assert.ok(err instanceof NotLocalError);
    assert.deepEqual(err.addresses, ['2001:db8::5']);
  });

  it('local answers are handed on in the form asked for (one address, or all)', async () => {
    assert.deepEqual(await lookup(scripted(['10.0.0.7']), 'llm', false), { err: null, address: '10.0.0.7' });
    assert.deepEqual(await lookup(scripted(['::1', '127.0.0.1']), 'localhost', true), {
      err: null,
      address: [
        { address: '::1', family: 6 },
        { address: '127.0.0.1', family: 4 },
      ],
    });
  });

  it('a resolver error is passed on as it is', async () => {
    const notFound = Object.assign(new Error('getaddrinfo ENOTFOUND llm'), { code: 'ENOTFOUND' });
    assert.equal((await lookup(scripted(notFound), 'llm', false)).err, notFound);
  });
});
