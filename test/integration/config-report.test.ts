import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startBackend, tempDir } from '../helpers/backend';
import { logsReport } from '../../backend/config-report';

/**
 * GET /config/validate describes the running backend (issue 8, item 8): the values it uses,
 * each dependency tried for real, no secret shown, and ok false when something configured
 * does not work.
 */
describe('/config/validate tells the truth', function () {
  this.timeout(60_000);

  it('reports the live data folder and port, refuses a missing logs folder, masks URL passwords, and says ok: false', async () => {
    const savedDocker = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = 'tcp://127.0.0.1:2'; // nothing listens there: Docker does not answer
    const t = await startBackend({
      env: { PRODUCT_OS_LOGS: '/nonexistent/logs', PRODUCT_OS_LLM_URL: 'http://alice:hunter2secret@127.0.0.1:9/v1', DOCKER_HOST: 'tcp://127.0.0.1:2' },
    });
    try {
      const res = await t.api('GET', '/config/validate');
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const by = new Map((res.body.settings as Array<{ name: string; status: string; value?: string; message: string }>).map((s) => [s.name, s]));
      assert.equal(by.get('PRODUCT_OS_DATA')?.value, t.dataDir);
      assert.equal(by.get('PRODUCT_OS_PORT')?.value, new URL(t.url).port);
      assert.equal(by.get('PRODUCT_OS_LOGS')?.status, 'invalid', JSON.stringify(by.get('PRODUCT_OS_LOGS')));
      assert.equal(by.get('DOCKER_HOST')?.status, 'invalid', JSON.stringify(by.get('DOCKER_HOST')));
      assert.match(by.get('DOCKER_HOST')!.message, /127\.0\.0\.1:2/, 'the host to fix is shown as it is');
      assert.equal(by.get('store')?.status, 'ok');
      assert.equal(by.get('PRODUCT_OS_LLM_URL')?.status, 'invalid', 'nothing listens on the LLM port');
      assert.doesNotMatch(JSON.stringify(res.body), /hunter2secret|alice:/);
      assert.doesNotMatch(JSON.stringify(res.body), new RegExp(t.token));
      assert.equal(res.body.ok, false);
    } finally {
      await t.close();
      if (savedDocker === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = savedDocker;
    }
  });

  it('a logs folder the workers (uid 10001) cannot read is named, with the fix', () => {
    const dir = tempDir();
    fs.chmodSync(dir, 0o700);
    const closed = logsReport(dir, true);
    assert.equal(closed.status, 'invalid');
    assert.match(closed.message, /uid 10001.*chmod -R o\+rX/);
    fs.chmodSync(dir, 0o755);
    assert.equal(logsReport(dir, true).status, 'ok');
    fs.writeFileSync(path.join(dir, 'f'), '');
    assert.equal(logsReport(path.join(dir, 'f'), true).status, 'invalid');
    assert.equal(logsReport(path.join(dir, 'missing'), false).status, 'missing');
  });
});
